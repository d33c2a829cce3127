//! ABI drift check: what include/libvm/*.h declare against what libvm-sys
//! declares.  Functions (name, argument count) and constant and struct
//! names come from parsing the headers; constant values, struct sizes and
//! field offsets from tests/abi/abi_dump.c, a C program that prints them
//! (built by the Makefile as build/tests/abi-dump, or here with $CC).
//! Needs no KVM.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use libvm_sys::{CONSTANTS, FUNCTIONS, LIBVM_VERSION_STRING, STRUCTS};

fn top() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..").canonicalize().unwrap()
}

/// The public headers the host library declares (guest.h is guest-side).
fn headers() -> Vec<(String, String)> {
    let dir = top().join("include/libvm");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "h"))
        .filter(|p| p.file_name().unwrap() != "guest.h")
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    v.sort();
    assert!(v.len() >= 8, "found only {} headers in {}", v.len(), dir.display());
    v
}

fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            let end = s[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            out.push(' ');
            i = end;
        } else if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// (preprocessor lines with continuations joined, the rest of the code)
fn split_pp(s: &str) -> (Vec<String>, String) {
    let mut pp = Vec::new();
    let mut code = String::new();
    let mut lines = s.lines();
    while let Some(l) = lines.next() {
        if l.trim_start().starts_with('#') {
            let mut full = l.to_owned();
            while full.ends_with('\\') {
                full.pop();
                full.push(' ');
                full.push_str(lines.next().unwrap_or(""));
            }
            pp.push(full);
        } else {
            code.push_str(l);
            code.push('\n');
        }
    }
    (pp, code)
}

fn ident_before(s: &str) -> &str {
    let t = s.trim_end();
    let start = t.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    &t[start..]
}

struct Parsed {
    functions: BTreeMap<String, usize>,
    constants: BTreeSet<String>,
    structs: BTreeSet<String>,
}

fn parse() -> Parsed {
    let mut p = Parsed { functions: BTreeMap::new(), constants: BTreeSet::new(), structs: BTreeSet::new() };
    for (file, text) in headers() {
        let (pp, code) = split_pp(&strip_comments(&text));
        for line in &pp {
            let mut it = line.trim_start()[1..].trim_start().splitn(2, |c: char| c.is_whitespace());
            if it.next() != Some("define") {
                continue;
            }
            let rest = it.next().unwrap_or("").trim_start();
            let name_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            let (name, value) = rest.split_at(name_end);
            let value = value.trim();
            if !name.starts_with("LIBVM_") || value.starts_with('(') && !value.contains(')') {
                continue;
            }
            if rest[name_end..].starts_with('(') {
                continue; // function-like macro
            }
            if value.is_empty() || value.starts_with('{') || value.starts_with('"') {
                continue; // include guard, *_INIT, the version string
            }
            if name == "LIBVM_API" {
                continue;
            }
            p.constants.insert(name.to_owned());
        }
        // enum members
        let mut rest = code.as_str();
        while let Some(i) = rest.find("enum ") {
            let after = &rest[i..];
            let (Some(open), Some(close)) = (after.find('{'), after.find('}')) else { break };
            if open < close && after[..open].split_whitespace().count() <= 2 {
                for m in after[open + 1..close].split(',') {
                    let n = m.split('=').next().unwrap().trim();
                    if !n.is_empty() {
                        p.constants.insert(n.to_owned());
                    }
                }
            }
            rest = &after[close.max(1)..];
        }
        // structs: `struct libvm_x {`, typedef'd or known only by the tag
        // (cmplog.h's, shared with the guest)
        for (i, _) in code.match_indices("struct ") {
            if code[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let after = &code[i + "struct ".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if name.starts_with("libvm_") && after[name.len()..].trim_start().starts_with('{') {
                p.structs.insert(name);
            }
        }
        // functions
        for stmt in code.split(';') {
            let Some(at) = stmt.find("LIBVM_API") else { continue };
            let decl = &stmt[at..];
            let open = decl.find('(').unwrap_or_else(|| panic!("{file}: no '(' in {decl}"));
            let name = ident_before(&decl[..open]).to_owned();
            let mut depth = 0;
            let mut nargs = 0;
            let mut any = false;
            let mut close = None;
            for (j, c) in decl[open..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            close = Some(open + j);
                            break;
                        }
                    }
                    ',' if depth == 1 => nargs += 1,
                    c if depth == 1 && !c.is_whitespace() => any = true,
                    _ => {}
                }
            }
            let inner = decl[open + 1..close.expect("unbalanced")].trim();
            let n = if !any || inner == "void" { 0 } else { nargs + 1 };
            assert!(p.functions.insert(name.clone(), n).is_none(), "{name} declared twice");
        }
    }
    p
}

fn abi_dump_output() -> String {
    let exe = match std::env::var_os("LIBVM_ABI_DUMP") {
        Some(p) => PathBuf::from(p),
        None => {
            let built = top().join("build/tests/abi-dump");
            let src = top().join("tests/abi/abi_dump.c");
            let stale = |p: &Path| {
                let m = |q: &Path| std::fs::metadata(q).and_then(|m| m.modified()).ok();
                match (m(p), m(&src)) {
                    (Some(a), Some(b)) => a < b,
                    _ => true,
                }
            };
            if !stale(&built) {
                built
            } else {
                let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("abi-dump");
                let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
                let st = Command::new(&cc)
                    .arg("-std=gnu11")
                    .arg("-I")
                    .arg(top().join("include"))
                    .arg("-o")
                    .arg(&out)
                    .arg(&src)
                    .status()
                    .unwrap_or_else(|e| panic!("{cc}: {e} (set LIBVM_ABI_DUMP or build build/tests/abi-dump)"));
                assert!(st.success(), "compiling {} failed", src.display());
                out
            }
        }
    };
    let o = Command::new(&exe).output().unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
    assert!(o.status.success(), "{} failed", exe.display());
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn functions_match_headers() {
    let hdr = parse().functions;
    let rs: BTreeMap<String, usize> = FUNCTIONS.iter().map(|&(n, a)| (n.to_owned(), a)).collect();
    assert_eq!(rs.len(), FUNCTIONS.len(), "a function is declared twice in libvm-sys");
    let missing: Vec<_> = hdr.keys().filter(|k| !rs.contains_key(*k)).collect();
    let extra: Vec<_> = rs.keys().filter(|k| !hdr.contains_key(*k)).collect();
    assert!(missing.is_empty(), "declared in the headers, missing from libvm-sys: {missing:?}");
    assert!(extra.is_empty(), "declared in libvm-sys, not in the headers: {extra:?}");
    for (n, a) in &hdr {
        assert_eq!(rs[n], *a, "{n}: {a} arguments in the header, {} in libvm-sys", rs[n]);
    }
    assert!(hdr.len() >= 60, "only {} functions parsed", hdr.len());
}

/// A JSON value (just enough for abi-dump's output).
#[derive(Debug)]
enum Json {
    Num(i64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
    Other,
}

impl Json {
    fn obj(&self) -> &[(String, Json)] {
        match self {
            Json::Obj(v) => v,
            j => panic!("abi-dump: want an object, got {j:?}"),
        }
    }
    fn get(&self, k: &str) -> &Json {
        self.obj().iter().find(|(n, _)| n == k).map(|(_, v)| v).unwrap_or_else(|| panic!("abi-dump: no {k:?}"))
    }
    fn num(&self) -> i64 {
        match self {
            Json::Num(n) => *n,
            j => panic!("abi-dump: want a number, got {j:?}"),
        }
    }
}

fn parse_json(s: &str) -> Json {
    fn ws(b: &[u8], i: &mut usize) {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    }
    fn string(b: &[u8], i: &mut usize) -> String {
        assert_eq!(b[*i], b'"');
        *i += 1;
        let mut out = String::new();
        while b[*i] != b'"' {
            if b[*i] == b'\\' {
                *i += 1;
            }
            out.push(b[*i] as char);
            *i += 1;
        }
        *i += 1;
        out
    }
    fn value(b: &[u8], i: &mut usize) -> Json {
        ws(b, i);
        match b[*i] {
            b'{' => {
                *i += 1;
                let mut v = Vec::new();
                loop {
                    ws(b, i);
                    if b[*i] == b'}' {
                        *i += 1;
                        return Json::Obj(v);
                    }
                    if b[*i] == b',' {
                        *i += 1;
                        ws(b, i);
                    }
                    let k = string(b, i);
                    ws(b, i);
                    assert_eq!(b[*i], b':');
                    *i += 1;
                    v.push((k, value(b, i)));
                }
            }
            b'[' => {
                *i += 1;
                let mut v = Vec::new();
                loop {
                    ws(b, i);
                    if b[*i] == b']' {
                        *i += 1;
                        return Json::Arr(v);
                    }
                    if b[*i] == b',' {
                        *i += 1;
                    }
                    v.push(value(b, i));
                }
            }
            b'"' => Json::Str(string(b, i)),
            c if c == b'-' || c.is_ascii_digit() => {
                let st = *i;
                *i += 1;
                while *i < b.len() && (b[*i].is_ascii_digit()) {
                    *i += 1;
                }
                Json::Num(std::str::from_utf8(&b[st..*i]).unwrap().parse().unwrap())
            }
            _ => {
                while *i < b.len() && b[*i].is_ascii_alphabetic() {
                    *i += 1;
                }
                Json::Other
            }
        }
    }
    let mut i = 0;
    value(s.as_bytes(), &mut i)
}

#[test]
fn constants_and_layouts_match_c() {
    let parsed = parse();
    let dump = parse_json(&abi_dump_output());
    let c_consts: BTreeMap<String, i64> =
        dump.get("constants").obj().iter().map(|(k, v)| (k.clone(), v.num())).collect();
    match dump.get("strings").get("LIBVM_VERSION_STRING") {
        Json::Str(s) => assert_eq!(s, LIBVM_VERSION_STRING, "LIBVM_VERSION_STRING"),
        j => panic!("LIBVM_VERSION_STRING: {j:?}"),
    }

    // Constants: the headers' names, the dump's values, libvm-sys's values.
    let rs: BTreeMap<&str, i64> = CONSTANTS.iter().copied().collect();
    assert_eq!(rs.len(), CONSTANTS.len(), "a constant is listed twice in libvm-sys");
    for n in &parsed.constants {
        assert!(c_consts.contains_key(n), "{n} is in the headers but not in tests/abi/abi_dump.c");
        assert!(rs.contains_key(n.as_str()), "{n} is in the headers but not in libvm-sys");
    }
    for (n, v) in &c_consts {
        match rs.get(n.as_str()) {
            Some(r) => assert_eq!(r, v, "{n}: C {v}, libvm-sys {r}"),
            None => panic!("{n} is missing from libvm-sys"),
        }
    }
    for n in rs.keys() {
        assert!(c_consts.contains_key(*n), "libvm-sys has {n}, the C side does not");
    }

    // Structs: every header struct, its size and every field offset.
    let rs_structs: BTreeMap<&str, (usize, &[(&str, usize)])> =
        STRUCTS.iter().map(|&(n, s, f)| (n, (s, f))).collect();
    let c_structs = dump.get("structs").obj();
    for s in &parsed.structs {
        assert!(c_structs.iter().any(|(n, _)| n == s), "struct {s} is in the headers but not in abi_dump.c");
        assert!(rs_structs.contains_key(s.as_str()), "struct {s} is missing from libvm-sys");
    }
    let mut checked = 0;
    for (s, info) in c_structs {
        let (rsize, fields) = rs_structs.get(s.as_str()).unwrap_or_else(|| panic!("{s} missing from libvm-sys"));
        let size = info.get("size").num() as usize;
        assert_eq!(*rsize, size, "sizeof({s}): C {size}, Rust {rsize}");
        let c_fields = info.get("fields").obj();
        for (fld, v) in c_fields {
            let off = match v {
                Json::Arr(a) => a[0].num() as usize,
                j => j.num() as usize,
            };
            let r = fields.iter().find(|(n, _)| n == fld).map(|&(_, o)| o);
            assert_eq!(r, Some(off), "offsetof({s}, {fld}) = {off} in C; libvm-sys: {r:?}");
            checked += 1;
        }
        for (fld, _) in fields.iter() {
            assert!(c_fields.iter().any(|(n, _)| n == fld), "libvm-sys lists {s}.{fld}, abi-dump does not");
        }
    }
    assert_eq!(rs_structs.len(), c_structs.len(), "libvm-sys lists structs the C side does not");
    assert!(checked > 100, "only {checked} field offsets compared");
}

#[test]
fn library_loads_and_reports_its_version() {
    // SAFETY: plain calls without arguments or with a code.
    unsafe {
        let v = std::ffi::CStr::from_ptr(libvm_sys::libvm_version()).to_str().unwrap();
        assert_eq!(v, LIBVM_VERSION_STRING);
        assert_eq!(libvm_sys::libvm_version_num(), libvm_sys::LIBVM_VERSION_NUM);
        let s = std::ffi::CStr::from_ptr(libvm_sys::libvm_strerror(libvm_sys::LIBVM_ENOKVM));
        assert!(!s.to_bytes().is_empty());
    }
}
