//! `docs/openapi.json` cannot drift: its schemas are the Rust types' (regenerated with
//! `UPDATE_CONTRACT=1 cargo test -p checkout-tests --test contract`), its operations are exactly
//! the edge's routes, every reference resolves, every operation documents its errors with the one
//! error body, and every example in it is valid for its schema. Native: no stack needed.

use anyhow::{Context, Result, bail, ensure};
use checkout_shared::api::ErrorCode;
use checkout_tests::contract::{self, Contract, DOCUMENT};
use checkout_tests::root;
use serde_json::Value;
use std::collections::BTreeSet;

#[test]
fn the_schemas_are_the_rust_types() -> Result<()> {
    let mut document = contract::document()?;
    let generated = Value::Object(contract::schemas());
    if std::env::var_os("UPDATE_CONTRACT").is_some() {
        document["components"]["schemas"] = generated;
        let text = serde_json::to_string_pretty(&document)? + "\n";
        std::fs::write(root().join(DOCUMENT), text)?;
        return Ok(());
    }
    let written = &document["components"]["schemas"];
    if *written != generated {
        let (Value::Object(written), Value::Object(generated)) = (written, &generated) else {
            bail!("{DOCUMENT} has no components.schemas object");
        };
        let differ: Vec<&String> = written
            .keys()
            .chain(generated.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|name| written.get(*name) != generated.get(*name))
            .collect();
        bail!(
            "{DOCUMENT}'s schemas differ from the Rust types in {differ:?}; run \
             `UPDATE_CONTRACT=1 cargo test -p checkout-tests --test contract` and review the diff"
        );
    }
    Ok(())
}

/// `(method, path)` of every route in the edge's list of routes (`routes!` in
/// `edge/src/lib.rs`, lines `get_async "/path" => handler;`), `:name` written `{name}` as
/// OpenAPI does.
fn edge_routes() -> Result<BTreeSet<(String, String)>> {
    let source = std::fs::read_to_string(root().join("edge/src/lib.rs"))?;
    let mut routes = BTreeSet::new();
    for line in source.lines().map(str::trim) {
        for method in ["get", "post", "delete", "put", "patch"] {
            let Some(rest) = line.strip_prefix(&format!("{method}_async \"")) else { continue };
            let path = rest.split('"').next().context("a route without its closing quote")?;
            let path: Vec<String> = path
                .split('/')
                .map(|segment| match segment.strip_prefix(':') {
                    Some(name) => format!("{{{name}}}"),
                    None => segment.to_owned(),
                })
                .collect();
            routes.insert((method.to_owned(), path.join("/")));
        }
    }
    ensure!(routes.len() > 30, "read only {} routes from edge/src/lib.rs", routes.len());
    Ok(routes)
}

const METHODS: [&str; 5] = ["get", "post", "delete", "put", "patch"];

#[test]
fn every_route_of_the_edge_is_an_operation_and_back() -> Result<()> {
    let document = contract::document()?;
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().context("no paths")? {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.insert((method.to_owned(), path.clone()));
            }
        }
    }
    let routes = edge_routes()?;
    let missing: Vec<_> = routes.difference(&operations).collect();
    let extra: Vec<_> = operations.difference(&routes).collect();
    ensure!(missing.is_empty(), "routes of the edge missing from {DOCUMENT}: {missing:?}");
    ensure!(extra.is_empty(), "operations in {DOCUMENT} the edge does not route: {extra:?}");
    Ok(())
}

/// Every `$ref` in `value`, with where it is.
fn refs<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                out.push((at.clone(), target));
            }
            for (key, child) in map {
                refs(child, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                refs(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_reference_resolves() -> Result<()> {
    let document = contract::document()?;
    let mut found = Vec::new();
    refs(&document, String::new(), &mut found);
    for (at, target) in found {
        let pointer = target.strip_prefix('#').with_context(|| format!("{at}: {target} is not local"))?;
        ensure!(document.pointer(pointer).is_some(), "{at}: {target} does not resolve");
    }
    Ok(())
}

#[test]
fn every_operation_documents_its_answers_and_the_errors_are_the_edges() -> Result<()> {
    let contract = Contract::load()?;
    let document = contract.document();
    for (path, item) in document["paths"].as_object().context("no paths")? {
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let name = format!("{method} {path}");
            ensure!(operation["operationId"].is_string(), "{name} has no operationId");
            ensure!(operation["summary"].is_string(), "{name} has no summary");
            let responses =
                operation["responses"].as_object().with_context(|| format!("{name}: no responses"))?;
            ensure!(responses.keys().any(|s| s.starts_with('2')), "{name} documents no success");
            // Under /v1/, every error is the one error body (the callback answers plain text).
            if path.starts_with("/v1/") && path != "/v1/notify/payzero" {
                for (status, response) in responses.iter().filter(|(s, _)| !s.starts_with('2')) {
                    let text = response.to_string();
                    ensure!(
                        text.contains("#/components/responses/") || text.contains("ErrorBody"),
                        "{name} {status} is not the error body: {text}"
                    );
                }
            }
        }
    }
    // The error codes the document lists are exactly the edge's.
    let listed: BTreeSet<String> = document["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .context("ErrorCode has no enum")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let known: BTreeSet<String> = ErrorCode::KNOWN.iter().map(|c| c.as_str().to_owned()).collect();
    ensure!(listed == known, "ErrorCode in {DOCUMENT}: {listed:?}, in the code: {known:?}");
    Ok(())
}

/// Every `example` with the schema beside it, and every `examples` entry, validates.
#[test]
fn every_example_is_valid_for_its_schema() -> Result<()> {
    let contract = Contract::load()?;
    let mut checked = 0;
    fn walk(contract: &Contract, value: &Value, at: &str, checked: &mut usize) -> Result<()> {
        if let Value::Object(map) = value {
            if let Some(schema) = map.get("schema") {
                let mut examples: Vec<&Value> = map.get("example").into_iter().collect();
                if let Some(Value::Object(named)) = map.get("examples") {
                    examples.extend(named.values().filter_map(|e| e.get("value")));
                }
                for example in examples {
                    contract.validate(at, schema, example).with_context(|| format!("the example at {at}"))?;
                    *checked += 1;
                }
            }
            for (key, child) in map {
                walk(contract, child, &format!("{at}/{key}"), checked)?;
            }
        }
        Ok(())
    }
    walk(&contract, &contract.document()["paths"], "paths", &mut checked)?;
    walk(&contract, &contract.document()["webhooks"], "webhooks", &mut checked)?;
    walk(&contract, &contract.document()["components"]["responses"], "responses", &mut checked)?;
    ensure!(checked >= 10, "only {checked} examples were checked");
    Ok(())
}
