//! Shortens the widget's import names. wasm-bindgen names every JS function the module imports
//! `__wbg_<name>_<16 hex digits>`, once in the module's import section and once as a key in the
//! glue's import object; the hex digits do not compress, so the ≈ 115 names cost ≈ 3.9 KB gzip
//! of the shopper's download. Each is renamed to a one- or two-letter name in both files.
//!
//! Only the import section of the module is rewritten (every other section is copied byte for
//! byte: functions refer to imports by index, not by name), and a name is renamed in the glue
//! only where it appears exactly once, so anything unexpected fails the build instead of
//! shipping a module whose imports the glue does not provide.

use anyhow::{Context, Result, bail, ensure};

/// The module's imports renamed, and the glue with the same names.
pub(crate) fn shorten(wasm: &[u8], glue: &str) -> Result<(Vec<u8>, String)> {
    let (wasm, renames) = rename_imports(wasm)?;
    let mut glue = glue.to_owned();
    for (old, new) in &renames {
        let at = sole_identifier(&glue, old)?;
        glue.replace_range(at..at + old.len(), new);
    }
    Ok((wasm, glue))
}

/// Old and new names, in import order.
type Renames = Vec<(String, String)>;

/// The module with every import from the glue (`./<name>.js`) renamed, and the renames.
fn rename_imports(wasm: &[u8]) -> Result<(Vec<u8>, Renames)> {
    ensure!(wasm.len() >= 8 && wasm[..4] == *b"\0asm", "not a wasm module");
    let mut out = wasm[..8].to_vec();
    let mut renames = Vec::new();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        let mut cursor = Cursor { bytes: wasm, at: at + 1 };
        let size = usize::try_from(cursor.leb()?)?;
        let start = cursor.at;
        let end = start.checked_add(size).filter(|&e| e <= wasm.len()).context("section past the end")?;
        if id == IMPORT_SECTION {
            let body = imports(&wasm[start..end], &mut renames)?;
            out.push(id);
            write_leb(&mut out, body.len() as u64);
            out.extend_from_slice(&body);
        } else {
            out.extend_from_slice(&wasm[at..end]);
        }
        at = end;
    }
    Ok((out, renames))
}

const IMPORT_SECTION: u8 = 2;

/// The import section's body with the glue's imports renamed.
fn imports(body: &[u8], renames: &mut Renames) -> Result<Vec<u8>> {
    let mut cursor = Cursor { bytes: body, at: 0 };
    let count = cursor.leb()?;
    let mut out = Vec::with_capacity(body.len());
    write_leb(&mut out, count);
    for _ in 0..count {
        let module = cursor.name()?;
        let name = cursor.name()?;
        let described = cursor.at;
        cursor.skip_description()?;
        let renamed = if module.starts_with("./") && module.ends_with(".js") {
            let short = short_name(renames.len());
            renames.push((name.to_owned(), short.clone()));
            short
        } else {
            name.to_owned()
        };
        write_name(&mut out, module);
        write_name(&mut out, &renamed);
        out.extend_from_slice(&body[described..cursor.at]);
    }
    ensure!(cursor.at == body.len(), "bytes after the last import");
    Ok(out)
}

/// The `n`th short name: `a`…`Z`, then `aa`, `ab`… Letters only, so each is a valid property
/// name in the glue's import object (keywords such as `do` are valid there too).
fn short_name(mut n: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = vec![LETTERS[n % LETTERS.len()]];
    n /= LETTERS.len();
    while n > 0 {
        n -= 1;
        name.push(LETTERS[n % LETTERS.len()]);
        n /= LETTERS.len();
    }
    name.reverse();
    // Only ASCII letters were pushed.
    String::from_utf8(name).unwrap_or_default()
}

/// Where `name` stands in `glue` as a whole identifier; an error unless exactly once.
fn sole_identifier(glue: &str, name: &str) -> Result<usize> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let whole = |&(i, _): &(usize, &str)| {
        let before = glue[..i].chars().next_back();
        let after = glue[i + name.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    };
    let found: Vec<usize> = glue.match_indices(name).filter(whole).map(|(i, _)| i).collect();
    match found[..] {
        [at] => Ok(at),
        [] => bail!("the glue does not define the import {name}"),
        _ => bail!("the import {name} stands {} times in the glue; expected once", found.len()),
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self.bytes.get(self.at).context("module ends early")?;
        self.at += 1;
        Ok(b)
    }

    fn leb(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("LEB128 longer than 64 bits")
    }

    fn name(&mut self) -> Result<&'a str> {
        let len = usize::try_from(self.leb()?)?;
        let end = self.at.checked_add(len).filter(|&e| e <= self.bytes.len()).context("name past the end")?;
        let name = std::str::from_utf8(&self.bytes[self.at..end]).context("import name not UTF-8")?;
        self.at = end;
        Ok(name)
    }

    /// Past one import's description (function, table, memory, global or tag).
    fn skip_description(&mut self) -> Result<()> {
        match self.byte()? {
            0x00 => self.leb().map(drop),
            0x01 => {
                self.byte()?;
                self.limits()
            }
            0x02 => self.limits(),
            0x03 => self.byte().and_then(|_| self.byte()).map(drop),
            0x04 => self.byte().and_then(|_| self.leb()).map(drop),
            kind => bail!("unknown import kind {kind:#x}"),
        }
    }

    fn limits(&mut self) -> Result<()> {
        let flags = self.byte()?;
        self.leb()?;
        if flags & 1 != 0 {
            self.leb()?;
        }
        Ok(())
    }
}

fn write_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    write_leb(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module importing two functions from the glue and a memory from elsewhere, with a
    /// custom section after the imports that must survive unchanged.
    fn module() -> Vec<u8> {
        let mut imports = Vec::new();
        write_leb(&mut imports, 3);
        for name in ["__wbg_now_0123456789abcdef", "__wbg_log_fedcba9876543210"] {
            write_name(&mut imports, "./widget_bg.js");
            write_name(&mut imports, name);
            imports.extend_from_slice(&[0x00, 0x00]);
        }
        write_name(&mut imports, "env");
        write_name(&mut imports, "memory");
        imports.extend_from_slice(&[0x02, 0x01, 0x01, 0x10]);
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.push(IMPORT_SECTION);
        write_leb(&mut wasm, imports.len() as u64);
        wasm.extend_from_slice(&imports);
        wasm.extend_from_slice(&[0x00, 0x04, 0x01, b'x', 0xaa, 0xbb]);
        wasm
    }

    #[test]
    fn renames_the_glue_imports_in_both_files() {
        let glue = "const i={__proto__:null,__wbg_now_0123456789abcdef:function(){return Date.now()},\
                    __wbg_log_fedcba9876543210:function(a){console.log(a)}};";
        let (wasm, glue) = shorten(&module(), glue).unwrap();
        assert_eq!(
            glue,
            "const i={__proto__:null,a:function(){return Date.now()},b:function(a){console.log(a)}};"
        );
        let (_, renames) = rename_imports(&wasm).unwrap();
        // The renamed module's imports are the short names; the memory kept its own.
        assert_eq!(renames.iter().map(|(old, _)| old.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert!(wasm.windows(6).any(|w| w == b"memory"));
        assert!(wasm.ends_with(&[0x00, 0x04, 0x01, b'x', 0xaa, 0xbb]));
    }

    #[test]
    fn an_import_the_glue_lacks_or_repeats_fails_the_build() {
        let missing = "const i={__wbg_now_0123456789abcdef:function(){}};";
        assert!(shorten(&module(), missing).unwrap_err().to_string().contains("does not define"));
        let twice = "const i={__wbg_now_0123456789abcdef:1,__wbg_log_fedcba9876543210:2};\
                     i.__wbg_log_fedcba9876543210();";
        assert!(shorten(&module(), twice).unwrap_err().to_string().contains("2 times"));
        // A longer name that merely contains the old one is not a match.
        let longer = "const i={__wbg_now_0123456789abcdef:1,__wbg_log_fedcba9876543210x:2};";
        assert!(shorten(&module(), longer).is_err());
    }

    #[test]
    fn short_names_are_distinct_identifiers() {
        let names: Vec<String> = (0..3000).map(short_name).collect();
        assert_eq!(&names[..3], ["a", "b", "c"]);
        assert_eq!(names[52], "aa");
        let unique: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_alphabetic())));
    }

    #[test]
    fn a_truncated_module_is_an_error_not_a_panic() {
        let wasm = module();
        for len in 0..wasm.len() {
            let _ = rename_imports(&wasm[..len]);
        }
        assert!(rename_imports(b"not wasm").is_err());
    }
}
