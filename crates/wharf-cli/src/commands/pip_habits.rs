//! pip's habits that make no sense for wharf, answered instead of obeyed: `pip install
//! --upgrade pip` (wharf does not need pip in the environment).

use crate::Printer;

/// The requested packages without `pip` when the request is `--upgrade pip` (any spelling,
/// with or without a version): wharf does not use pip, so upgrading it changes nothing that
/// matters and pulls a wheel the site may not have; it says so. `venv --seed` still installs
/// pip for those who want it. Other requirements are kept.
pub fn without_pip_upgrade(packages: &[String], upgrade: bool, printer: Printer) -> Vec<String> {
    if !upgrade {
        return packages.to_vec();
    }
    let is_pip = |text: &str| {
        let name: String = text
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        name.eq_ignore_ascii_case("pip")
    };
    if !packages.iter().any(|p| is_pip(p)) {
        return packages.to_vec();
    }
    printer.info(
        "wharf does not need pip: `--upgrade pip` is not needed (nothing to do for pip); `wharf venv --seed` gives an environment a pip from the wheelhouse if a tool wants one",
    );
    packages.iter().filter(|p| !is_pip(p)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_is_dropped_only_with_upgrade() {
        let printer = Printer::new(true, true);
        let packages = vec!["pip".to_string(), "numpy".to_string(), "pipx".to_string()];
        assert_eq!(
            without_pip_upgrade(&packages, true, printer),
            ["numpy", "pipx"]
        );
        assert_eq!(without_pip_upgrade(&packages, false, printer), packages);
        assert_eq!(
            without_pip_upgrade(&["PIP>=24".to_string()], true, printer),
            Vec::<String>::new()
        );
    }
}
