//! The built-in theme: the stylesheets, script and icon that the built-in
//! templates link, embedded in the binary and written to every site. An
//! edition replaces any of them by putting a file at the same path in its
//! `static/` folder (as it replaces a template by name in `templates/`).

/// Each file of the theme, by its path in the output.
pub const FILES: &[(&str, &[u8])] = &[
    (
        "assets/apparat.js",
        include_bytes!("theme/assets/apparat.js"),
    ),
    (
        "assets/favicon.svg",
        include_bytes!("theme/assets/favicon.svg"),
    ),
    ("assets/print.css", include_bytes!("theme/assets/print.css")),
    ("assets/search.js", include_bytes!("theme/assets/search.js")),
    ("assets/style.css", include_bytes!("theme/assets/style.css")),
];
