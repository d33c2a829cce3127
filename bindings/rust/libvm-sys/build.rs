//! Find libvm: `LIBVM_LIB_DIR`, else the repository's build tree
//! (`../../build/lib` from the workspace, i.e. `build/lib` at the top of the
//! libvm checkout), else the system's library path.
//!
//! Linking is dynamic (`libvm.so.1`) unless `LIBVM_STATIC=1`, which links
//! `libvm.a` into the program (and libelf, zlib, liblzma and pthread
//! dynamically),
//! so it runs wherever it is copied.  The rpath below reaches this crate's
//! own tests only: cargo passes no link argument on to the programs of
//! crates that depend on this one.  Those need libvm where the dynamic
//! linker looks (an installed libvm), an rpath of their own, or
//! `LIBVM_STATIC=1`: see bindings/rust/README.md.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBVM_LIB_DIR");
    println!("cargo:rerun-if-env-changed=LIBVM_STATIC");
    let static_link = env::var("LIBVM_STATIC").map_or(false, |v| v == "1");
    println!("cargo:rerun-if-changed=build.rs");

    let dir = match env::var_os("LIBVM_LIB_DIR") {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => {
            let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
            // bindings/rust/libvm-sys -> the top of the checkout.
            let tree = manifest.join("../../../build/lib");
            let has_lib = tree.join("libvm.so").exists() || tree.join("libvm.a").exists();
            if has_lib {
                Some(tree)
            } else {
                None
            }
        }
    };
    if let Some(dir) = dir {
        let dir = dir.canonicalize().unwrap_or(dir);
        println!("cargo:rerun-if-changed={}", dir.join("libvm.so").display());
        println!("cargo:rustc-link-search=native={}", dir.display());
        // Tests and examples find the shared library without LD_LIBRARY_PATH.
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        println!("cargo:lib_dir={}", dir.display());
    }
    if static_link {
        println!("cargo:rustc-link-lib=static=vm");
        for lib in ["elf", "z", "lzma", "pthread"] {
            println!("cargo:rustc-link-lib=dylib={lib}");
        }
    } else {
        println!("cargo:rustc-link-lib=dylib=vm");
    }
}
