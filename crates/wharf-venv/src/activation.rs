//! Activation scripts: `bin/activate` (bash, zsh, ksh), `bin/activate.fish`, `bin/activate.csh`.
//!
//! wharf writes its own text. Each script, when sourced: leaves a venv that is active now,
//! sets `VIRTUAL_ENV` and `VIRTUAL_ENV_PROMPT`, puts the venv's `bin` first on `PATH`, unsets
//! `PYTHONHOME`, prefixes the prompt with `(<prompt>) ` unless `VIRTUAL_ENV_DISABLE_PROMPT` is
//! set, forgets the shell's cached command locations, and defines `deactivate`, which puts
//! everything back. The venv path is quoted for each shell, so spaces and quotes are safe.
//!
//! An incomplete venv (its marker `.wharf-incomplete` is there and `bin/python` does not
//! resolve: `wharf venv --from` was killed before its packages were installed, or is still
//! installing them) is not activated: the script says so on stderr, with the fix, and
//! returns 1 (so `set -e` stops a job script there). Activating it would put a `bin/`
//! without `python` first on `PATH`, and the next `python` would be another one.

use std::fmt::Write as _;

/// What the scripts need to know about the venv.
#[derive(Debug, Clone, Copy)]
pub struct Activation<'a> {
    /// The venv root, absolute. Ex) `/scratch/me/env`
    pub root: &'a str,
    /// The scripts directory relative to the root. Ex) `bin`
    pub bin: &'a str,
    /// The prompt name, without parentheses. Ex) `env`
    pub prompt: &'a str,
}

/// Quotes for POSIX shells: `'…'` with `'` written as `'\''`.
fn posix_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Quotes for fish: `'…'` with `\` and `'` backslash-escaped.
fn fish_quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', r"\\").replace('\'', r"\'"))
}

/// Quotes for csh: `'…'` with `'` written as `'\''` and history `!` escaped.
fn csh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''").replace('!', r"\!"))
}

impl Activation<'_> {
    /// The marker of an incomplete venv. Ex) `/scratch/me/env/.wharf-incomplete`
    fn marker(&self) -> String {
        format!("{}/{}", self.root, crate::INCOMPLETE_MARKER)
    }

    /// The venv's `python`. Ex) `/scratch/me/env/bin/python`
    fn python(&self) -> String {
        format!("{}/{}/python", self.root, self.bin)
    }

    /// The two lines an incomplete venv's activation prints.
    fn refusal(&self) -> [String; 2] {
        [
            format!(
                "error: the virtual environment `{}` is incomplete: `wharf venv --from` was interrupted before its packages were installed, or is still installing them; it is not activated",
                self.root
            ),
            format!(
                "hint: run that `wharf venv {} --from LOCK` again to finish it (`cat {}` shows the command), or remove the directory",
                self.root,
                self.marker()
            ),
        ]
    }
}

/// `bin/activate`, for bash, zsh and ksh (`source bin/activate`).
pub fn posix(activation: &Activation<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Source this file from bash, zsh or ksh: `source {}/{}/activate`.",
        activation.root, activation.bin
    );
    out.push_str(concat!(
        "# It activates the virtual environment below; `deactivate` undoes it.\n",
        "# Written by wharf ",
        env!("CARGO_PKG_VERSION"),
        ".\n",
        r#"
if [ -n "${BASH_VERSION-}" ] && [ "${BASH_SOURCE-}" = "$0" ]; then
    echo "error: $0 only works when sourced: run \`source $0\`" >&2
    exit 33
fi

"#
    ));
    let [error, hint] = activation.refusal();
    let _ = writeln!(
        out,
        "# An incomplete venv is not activated (see `{}`).\nif [ -e {} ] && [ ! -e {} ]; then\n    printf '%s\\n' {} {} >&2\n    return 1 2>/dev/null || exit 1\nfi",
        crate::INCOMPLETE_MARKER,
        posix_quote(&activation.marker()),
        posix_quote(&activation.python()),
        posix_quote(&error),
        posix_quote(&hint)
    );
    out.push_str(
        r#"
# Leave the environment that is active now, whichever tool created it: a shell function
# only (`command -v` also finds pyenv-virtualenv's `deactivate` program on PATH, which fails
# unless sourced and stops a `set -e` job script).
case "$(type deactivate 2>/dev/null)" in
    *function*) deactivate ;;
esac

deactivate () {
    if [ -n "${_WHARF_SAVED_PATH+x}" ]; then
        PATH=$_WHARF_SAVED_PATH
        export PATH
        unset _WHARF_SAVED_PATH
    fi
    if [ -n "${_WHARF_SAVED_PYTHONHOME+x}" ]; then
        PYTHONHOME=$_WHARF_SAVED_PYTHONHOME
        export PYTHONHOME
        unset _WHARF_SAVED_PYTHONHOME
    fi
    if [ -n "${_WHARF_SAVED_PS1+x}" ]; then
        PS1=$_WHARF_SAVED_PS1
        unset _WHARF_SAVED_PS1
    fi
    unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT
    # The shell may remember where `python` was found while the venv was active.
    hash -r 2>/dev/null
    unset -f deactivate
}

"#,
    );
    let _ = writeln!(out, "VIRTUAL_ENV={}", posix_quote(activation.root));
    let _ = writeln!(out, "VIRTUAL_ENV_PROMPT={}", posix_quote(activation.prompt));
    out.push_str("export VIRTUAL_ENV VIRTUAL_ENV_PROMPT\n\n");
    out.push_str("_WHARF_SAVED_PATH=$PATH\n");
    let _ = writeln!(out, "PATH=\"$VIRTUAL_ENV/{}:$PATH\"", activation.bin);
    out.push_str(
        r#"export PATH

# A PYTHONHOME would point the venv's python at another installation's standard library.
if [ -n "${PYTHONHOME+x}" ]; then
    _WHARF_SAVED_PYTHONHOME=$PYTHONHOME
    unset PYTHONHOME
fi

if [ -z "${VIRTUAL_ENV_DISABLE_PROMPT-}" ] && [ -n "${PS1+x}" ]; then
    _WHARF_SAVED_PS1=$PS1
    PS1="($VIRTUAL_ENV_PROMPT) $PS1"
fi

hash -r 2>/dev/null
"#,
    );
    out
}

/// `bin/activate.fish`, for fish (`source bin/activate.fish`).
pub fn fish(activation: &Activation<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Source this file from fish: `source {}/{}/activate.fish`.",
        activation.root, activation.bin
    );
    out.push_str(concat!(
        "# It activates the virtual environment below; `deactivate` undoes it.\n",
        "# Written by wharf ",
        env!("CARGO_PKG_VERSION"),
        ".\n",
    ));
    let [error, hint] = activation.refusal();
    // `exit` in a sourced file ends the sourcing only.
    let _ = writeln!(
        out,
        "\n# An incomplete venv is not activated (see `{}`).\nif test -e {}; and not test -e {}\n    printf '%s\\n' {} {} >&2\n    exit 1\nend",
        crate::INCOMPLETE_MARKER,
        fish_quote(&activation.marker()),
        fish_quote(&activation.python()),
        fish_quote(&error),
        fish_quote(&hint)
    );
    out.push_str(
        r"
# Leave the environment that is active now, whichever tool created it.
if functions -q deactivate
    deactivate
end

function deactivate --description 'Leave the virtual environment'
    if set -q _wharf_saved_path
        set -gx PATH $_wharf_saved_path
        set -e _wharf_saved_path
    end
    if set -q _wharf_saved_pythonhome
        set -gx PYTHONHOME $_wharf_saved_pythonhome
        set -e _wharf_saved_pythonhome
    end
    if functions -q _wharf_saved_fish_prompt
        functions -e fish_prompt
        functions -c _wharf_saved_fish_prompt fish_prompt
        functions -e _wharf_saved_fish_prompt
        functions -e _wharf_return
    end
    set -e VIRTUAL_ENV
    set -e VIRTUAL_ENV_PROMPT
    functions -e deactivate
end

",
    );
    let _ = writeln!(out, "set -gx VIRTUAL_ENV {}", fish_quote(activation.root));
    let _ = writeln!(
        out,
        "set -gx VIRTUAL_ENV_PROMPT {}",
        fish_quote(activation.prompt)
    );
    out.push_str("set -g _wharf_saved_path $PATH\n");
    let _ = writeln!(
        out,
        "set -gx PATH \"$VIRTUAL_ENV/{}\" $PATH",
        activation.bin
    );
    out.push_str(
        r"
# A PYTHONHOME would point the venv's python at another installation's standard library.
if set -q PYTHONHOME
    set -g _wharf_saved_pythonhome $PYTHONHOME
    set -e PYTHONHOME
end

if not set -q VIRTUAL_ENV_DISABLE_PROMPT; and functions -q fish_prompt
    functions -c fish_prompt _wharf_saved_fish_prompt
    function _wharf_return
        return $argv[1]
    end
    function fish_prompt
        # Keep the last command's status for the original prompt to show.
        set -l last_status $status
        printf '(%s) ' $VIRTUAL_ENV_PROMPT
        _wharf_return $last_status
        _wharf_saved_fish_prompt
    end
end
",
    );
    out
}

/// `bin/activate.csh`, for csh and tcsh (`source bin/activate.csh`).
pub fn csh(activation: &Activation<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Source this file from csh or tcsh: `source {}/{}/activate.csh`.",
        activation.root, activation.bin
    );
    out.push_str(concat!(
        "# It activates the virtual environment below; `deactivate` undoes it.\n",
        "# Written by wharf ",
        env!("CARGO_PKG_VERSION"),
        ".\n",
    ));
    let [error, hint] = activation.refusal();
    // csh cannot end a sourced file early (`exit` ends the shell): the rest is the `else`.
    let _ = writeln!(
        out,
        "\n# An incomplete venv is not activated (see `{}`).\nif ( -e {} && ! -e {} ) then\n    printf '%s\\n' {} {} >> /dev/stderr\nelse",
        crate::INCOMPLETE_MARKER,
        csh_quote(&activation.marker()),
        csh_quote(&activation.python()),
        csh_quote(&error),
        csh_quote(&hint)
    );
    out.push_str(
        r#"
alias deactivate 'test $?_wharf_saved_path != 0 && setenv PATH "$_wharf_saved_path:q" && unset _wharf_saved_path; test $?_wharf_saved_pythonhome != 0 && setenv PYTHONHOME "$_wharf_saved_pythonhome:q" && unset _wharf_saved_pythonhome; test $?_wharf_saved_prompt != 0 && set prompt="$_wharf_saved_prompt:q" && unset _wharf_saved_prompt; unsetenv VIRTUAL_ENV; unsetenv VIRTUAL_ENV_PROMPT; rehash; test "\!:*" != "nondestructive" && unalias deactivate'

# Leave the environment that is active now.
deactivate nondestructive

"#,
    );
    let _ = writeln!(out, "setenv VIRTUAL_ENV {}", csh_quote(activation.root));
    let _ = writeln!(
        out,
        "setenv VIRTUAL_ENV_PROMPT {}",
        csh_quote(activation.prompt)
    );
    out.push_str("set _wharf_saved_path=\"$PATH:q\"\n");
    let _ = writeln!(
        out,
        "setenv PATH \"$VIRTUAL_ENV:q/{}:$PATH:q\"",
        activation.bin
    );
    out.push_str(
        r#"
# A PYTHONHOME would point the venv's python at another installation's standard library.
if ( $?PYTHONHOME ) then
    set _wharf_saved_pythonhome="$PYTHONHOME:q"
    unsetenv PYTHONHOME
endif

if ( ! $?VIRTUAL_ENV_DISABLE_PROMPT ) then
    if ( $?prompt ) then
        set _wharf_saved_prompt="$prompt:q"
        set prompt="($VIRTUAL_ENV_PROMPT:q) $prompt:q"
    endif
endif

rehash
endif
"#,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(posix_quote("/a b/it's"), r"'/a b/it'\''s'");
        assert_eq!(fish_quote(r"/a\b/it's"), r"'/a\\b/it\'s'");
        assert_eq!(csh_quote("/a/it's!"), r"'/a/it'\''s\!'");
    }
}
