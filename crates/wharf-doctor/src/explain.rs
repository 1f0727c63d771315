//! `wharf explain` (in progress).
