//! `cargo xtask size`: builds the widget alone and prints what a shopper downloads, file by file
//! (gzip -9, KB = 1024 bytes, the same count `bench` checks the budget with), so size work need
//! not build the worker or start the stack. `--names` also keeps a copy of the module with its
//! function names (`target/widget-names.wasm`, before wasm-opt), for `twiggy top` / `twiggy
//! dominators` to say which crate and function the bytes belong to.

use crate::{build, root, setup};
use anyhow::{Context, Result};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The bank-card issue's hard budget: wasm + JS.
pub(crate) const WIDGET_BUDGET: usize = 150 * 1024;
/// The performance issue's goal: wasm + JS + the hosted page's stylesheet.
const PAGE_GOAL: usize = 100 * 1024;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let root = root();
    setup::widget_tools()?;
    build::widget()?;
    if args.iter().any(|a| a == "--names") {
        let dir = root.join("target/widget-names");
        build::widget_into(&dir, true)?;
        let wasm = dir.join("widget_bg.wasm");
        println!("with names: {} (twiggy top -n 40 {0})", wasm.display());
    }
    let sizes = Sizes::measure(&root)?;
    sizes.print();
    Ok(())
}

/// The gzip -9 sizes of the widget's three downloads.
pub(crate) struct Sizes {
    pub(crate) wasm: usize,
    pub(crate) js: usize,
    pub(crate) css: usize,
}

impl Sizes {
    pub(crate) fn measure(root: &Path) -> Result<Sizes> {
        let file = |p: &str| -> PathBuf { root.join(p) };
        Ok(Sizes {
            wasm: gz(&file("www/pkg/widget_bg.wasm"))?,
            js: gz(&file("www/pkg/widget.js"))?,
            css: gz(&file("www/pkg/checkout.css"))?,
        })
    }

    /// wasm + JS, what the budget counts.
    pub(crate) fn widget(&self) -> usize {
        self.wasm + self.js
    }

    pub(crate) fn print(&self) {
        println!("widget_bg.wasm (gzip -9):                  {:.1} KB ({} bytes)", kb(self.wasm), self.wasm);
        println!("widget.js      (gzip -9):                  {:.1} KB ({} bytes)", kb(self.js), self.js);
        println!("checkout.css   (minified, gzip -9):        {:.1} KB ({} bytes)", kb(self.css), self.css);
        println!(
            "widget transfer size (wasm + JS, gzip -9): {:.1} KB (budget {} KB)",
            kb(self.widget()),
            WIDGET_BUDGET / 1024
        );
        println!(
            "with the stylesheet (wasm + JS + CSS):     {:.1} KB (goal {} KB)",
            kb(self.widget() + self.css),
            PAGE_GOAL / 1024
        );
    }
}

pub(crate) fn gz(path: &Path) -> Result<usize> {
    let bytes =
        std::fs::read(path).with_context(|| format!("{} (run `cargo xtask build`)", path.display()))?;
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&bytes)?;
    Ok(enc.finish()?.len())
}

pub(crate) fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}
