//! Import names (in progress).
