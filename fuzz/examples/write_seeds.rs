//! Writes seeds of the plan targets into `corpus/plan_json` and `corpus/plan_toml`: the presets as `to_json` and
//! `to_toml` write them (`preset-story1.json`…, kept in the committed corpus), and with `--vectors` every plan
//! document of the golden vectors (`core/tests/vectors/*.json`) too, as written there, as `to_json`/`to_toml`
//! write it and (for invalid plans) as TOML written straight from the document.
//!
//! Run from `fuzz/`: `cargo run --example write_seeds -- --vectors`, fuzz, minimise with
//! `cargo +nightly fuzz cmin <target> corpus/<target> -- -use_counters=0`, then `cargo run --example write_seeds`
//! to put the presets back.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use koko_core::PricePlan;
use serde_json::Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (json_dir, toml_dir) = (root.join("corpus/plan_json"), root.join("corpus/plan_toml"));
    fs::create_dir_all(&json_dir)?;
    fs::create_dir_all(&toml_dir)?;
    for name in ["story1", "story2", "story3"] {
        let plan = PricePlan::preset(name)?;
        fs::write(json_dir.join(format!("preset-{name}.json")), plan.to_json())?;
        fs::write(toml_dir.join(format!("preset-{name}.toml")), plan.to_toml())?;
    }
    println!("presets: 3 seeds per plan target");
    if !std::env::args().any(|a| a == "--vectors") {
        return Ok(());
    }

    let mut json: BTreeSet<String> = BTreeSet::new();
    let mut toml_docs: BTreeSet<String> = BTreeSet::new();
    let mut files: Vec<_> = fs::read_dir(root.join("../core/tests/vectors"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        let vectors: Value = serde_json::from_str(&fs::read_to_string(&file)?)?;
        let cases = vectors["cases"].as_array().cloned().unwrap_or_default();
        for case in cases {
            let Some(doc) = case.get("plan").filter(|p| p.is_object()) else {
                continue;
            };
            let text = doc.to_string();
            // Invalid plans too: as JSON, and as TOML written straight from the document.
            if let Ok(t) = toml::to_string(doc) {
                toml_docs.insert(t);
            }
            if let Ok(plan) = PricePlan::from_json(&text) {
                json.insert(plan.to_json());
                toml_docs.insert(plan.to_toml());
            }
            json.insert(text);
        }
    }
    for (dir, docs, ext) in [(&json_dir, &json, "json"), (&toml_dir, &toml_docs, "toml")] {
        for (i, doc) in docs.iter().enumerate() {
            fs::write(dir.join(format!("vector-{i:03}.{ext}")), doc)?;
        }
        println!("{}: {} seeds from the vectors", dir.display(), docs.len());
    }
    Ok(())
}
