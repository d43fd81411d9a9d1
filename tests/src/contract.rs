//! The API's one contract, `docs/openapi.json` (OpenAPI 3.1). Its `components.schemas` are the
//! JSON Schemas of the Rust types the edge reads and answers (derived with schemars from
//! `checkout_shared::api` and the back office's Payzero types), so they cannot drift from the
//! code: `tests/contract` fails when they differ, and regenerates them with `UPDATE_CONTRACT=1`.
//! The paths, statuses and words around the schemas are written in the document itself.
//! [`Contract::check`] holds an answer the edge gave against the document; the end-to-end tests
//! run it over every answer the stack gave in a scenario, and over every webhook received.

use anyhow::{Context, Result, bail};
use checkout_shared::api;
use checkout_shared::{backoffice, payzero, terminal, undelivered};
use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

/// The document, from the workspace root.
pub const DOCUMENT: &str = "docs/openapi.json";

/// Where the schemas live in the document, as `$ref`s name them.
const SCHEMAS_PATH: &str = "#/components/schemas/";

fn add<T: JsonSchema>(generator: &mut SchemaGenerator) {
    generator.subschema_for::<T>();
}

/// The schema of every type the edge reads (as it deserialises them) and answers (as it
/// serialises them: a field left out when empty is not required), by type name.
pub fn schemas() -> Map<String, Value> {
    let settings = || SchemaSettings::draft2020_12().with(|s| s.definitions_path = SCHEMAS_PATH.into());
    let mut reads = settings().for_deserialize().into_generator();
    add::<api::CreateSessionRequest>(&mut reads);
    add::<api::RefundRequest>(&mut reads);
    add::<api::QrRequest>(&mut reads);
    add::<api::BarcodeRequest>(&mut reads);
    add::<api::CardSignupRequest>(&mut reads);
    add::<api::SmsCodeRequest>(&mut reads);
    add::<api::CardPayRequest>(&mut reads);
    add::<api::ClockRequest>(&mut reads);
    add::<backoffice::RealNameCheck>(&mut reads);
    add::<payzero::Order>(&mut reads);
    add::<payzero::DeclareRequest>(&mut reads);
    add::<backoffice::OrderQrRequest>(&mut reads);
    let mut answers = settings().for_serialize().into_generator();
    add::<api::SessionCreated>(&mut answers);
    add::<api::SessionList>(&mut answers);
    add::<api::EventList>(&mut answers);
    add::<undelivered::UndeliveredList>(&mut answers);
    add::<api::RefundView>(&mut answers);
    add::<api::CheckoutView>(&mut answers);
    add::<api::QrView>(&mut answers);
    add::<api::BarcodeView>(&mut answers);
    add::<api::StatusUpdate>(&mut answers);
    add::<api::CardView>(&mut answers);
    add::<api::CustomerCards>(&mut answers);
    add::<api::ClockAnswer>(&mut answers);
    add::<api::ErrorBody>(&mut answers);
    add::<api::WebhookEvent>(&mut answers);
    add::<terminal::CheckInInfo>(&mut answers);
    add::<payzero::OrderBatchResponse>(&mut answers);
    add::<payzero::BatchSummary>(&mut answers);
    add::<payzero::FeedbackPage>(&mut answers);
    add::<payzero::CreateAndPayResponse>(&mut answers);
    add::<payzero::MockpayResponse>(&mut answers);
    add::<payzero::RealPersonResponse>(&mut answers);
    add::<payzero::OrderResult>(&mut answers);
    add::<payzero::QrCodeResponse>(&mut answers);
    let mut all = reads.take_definitions(true);
    for (name, mut schema) in answers.take_definitions(true) {
        close_objects(&mut schema);
        if let Some(read) = all.get(&name)
            && *read != schema
        {
            // One name, two shapes: the document would describe one of them wrongly.
            all.insert(format!("{name}Answer"), schema);
            continue;
        }
        all.insert(name, schema);
    }
    all
}

/// An answer's object has exactly its listed fields: the edge never answers more than its types
/// hold. (What the edge reads says so itself: `deny_unknown_fields` is `additionalProperties:
/// false`, and Payzero's own objects, forwarded as Payzero takes them, let other fields pass.)
fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.get("type") == Some(&json!("object"))
                && map.contains_key("properties")
                && !map.contains_key("additionalProperties")
            {
                map.insert("additionalProperties".into(), json!(false));
            }
            for (key, value) in map.iter_mut() {
                // A property *named* like a keyword is data, not a schema to close.
                if key == "properties" || key == "$defs" {
                    if let Value::Object(children) = value {
                        children.values_mut().for_each(close_objects);
                    }
                } else {
                    close_objects(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// The document as JSON.
pub fn document() -> Result<Value> {
    let path = crate::root().join(DOCUMENT);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{DOCUMENT} is not JSON"))
}

/// One answer the edge gave, as a client saw it.
#[derive(Clone, Debug)]
pub struct Answer {
    pub method: String,
    /// The path and query of the request.
    pub target: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// The document, ready to check answers with. Validators are built once per response.
pub struct Contract {
    document: Value,
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

impl Contract {
    pub fn load() -> Result<Contract> {
        Ok(Contract { document: document()?, validators: Mutex::new(HashMap::new()) })
    }

    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The document's path template an actual path matches (the most literal one if several),
    /// with its path item.
    pub fn path_item(&self, path: &str) -> Option<(&str, &Value)> {
        let segments: Vec<&str> = path.split('/').collect();
        let paths = self.document["paths"].as_object()?;
        paths
            .iter()
            .filter_map(|(template, item)| {
                let parts: Vec<&str> = template.split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (part, segment) in parts.iter().zip(&segments) {
                    if part.starts_with('{') && part.ends_with('}') {
                        if segment.is_empty() {
                            return None;
                        }
                    } else if part == segment {
                        literal += 1;
                    } else {
                        return None;
                    }
                }
                Some((literal, template.as_str(), item))
            })
            .max_by_key(|(literal, _, _)| *literal)
            .map(|(_, template, item)| (template, item))
    }

    /// A validator of `schema`, resolving `$ref`s against the document's components.
    fn validator(&self, key: &str, schema: &Value) -> Result<std::sync::Arc<jsonschema::Validator>> {
        let mut cache = self.validators.lock().map_err(|_| anyhow::anyhow!("validator cache poisoned"))?;
        if let Some(v) = cache.get(key) {
            return Ok(v.clone());
        }
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.document["components"],
            "allOf": [schema],
        });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .map_err(|e| anyhow::anyhow!("the schema of {key} does not compile: {e}"))?;
        let validator = std::sync::Arc::new(validator);
        cache.insert(key.to_owned(), validator.clone());
        Ok(validator)
    }

    /// Whether `value` is valid for `schema` (read from the document), naming what is wrong.
    pub fn validate(&self, key: &str, schema: &Value, value: &Value) -> Result<()> {
        let validator = self.validator(key, schema)?;
        let errors: Vec<String> =
            validator.iter_errors(value).take(3).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        if errors.is_empty() { Ok(()) } else { bail!("{}", errors.join("; ")) }
    }

    /// Checks one answer: its path and method are an operation of the document (or the edge's
    /// documented answer to a path or method it does not have), its status is one the operation
    /// lists, and its body is what that status documents.
    pub fn check(&self, answer: &Answer) -> Result<()> {
        let path = answer.target.split('?').next().unwrap_or_default();
        let what = format!("{} {} → {}", answer.method, answer.target, answer.status);
        let method = answer.method.to_ascii_lowercase();
        let operation = self
            .path_item(path)
            .and_then(|(template, item)| item.get(&method).map(|op| (format!("{method} {template}"), op)));
        let Some((key, operation)) = operation else {
            if !path.starts_with("/v1/") {
                // Static files and pages other than the documented ones are not the API.
                return Ok(());
            }
            return match (answer.method.as_str(), answer.status) {
                // A CORS preflight of the checkout API.
                ("OPTIONS", 204) if path.starts_with("/v1/checkout") => Ok(()),
                (_, 404 | 405) => self.check_body(&what, "error", &error_content(), answer),
                _ => bail!("{what}: no such operation in {DOCUMENT}"),
            };
        };
        let responses = &operation["responses"];
        let Some(response) = responses.get(answer.status.to_string()) else {
            bail!("{what}: {key} does not document the status {}", answer.status);
        };
        let response = self.resolve(response);
        self.check_body(&what, &format!("{key} {}", answer.status), &response["content"], answer)
            .with_context(|| format!("{what} against {key}"))
    }

    /// A `$ref` to a reusable response, resolved; anything else as it is.
    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.trim_start_matches('#');
                self.document.pointer(pointer).unwrap_or(value)
            }
            None => value,
        }
    }

    fn check_body(&self, what: &str, key: &str, content: &Value, answer: &Answer) -> Result<()> {
        let Some(content) = content.as_object().filter(|c| !c.is_empty()) else {
            if answer.body.is_empty() {
                return Ok(());
            }
            bail!("{what}: documented without a body, answered {} bytes", answer.body.len());
        };
        let media = answer
            .content_type
            .as_deref()
            .map(|ct| ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
            .unwrap_or_default();
        let Some(entry) = content.get(&media) else {
            bail!("{what}: answered {media:?}, documented {:?}", content.keys().collect::<Vec<_>>());
        };
        let schema = &entry["schema"];
        let value = if media == "application/json" {
            serde_json::from_slice(&answer.body)
                .with_context(|| format!("{what}: the body is not JSON: {}", preview(&answer.body)))?
        } else {
            Value::String(String::from_utf8_lossy(&answer.body).into_owned())
        };
        if media == "text/html" {
            // A page: documented as HTML, its words are not the contract's.
            return Ok(());
        }
        self.validate(&format!("{key} {media}"), schema, &value)
            .with_context(|| format!("{what}: {}", preview(&answer.body)))
    }

    /// Checks a webhook body the edge posted against the document's `webhooks` entry of its type.
    pub fn check_webhook(&self, body: &[u8]) -> Result<()> {
        let value: Value = serde_json::from_slice(body).context("a webhook that is not JSON")?;
        let kind = value["type"].as_str().unwrap_or_default();
        let Some(hook) = self.document["webhooks"].get(kind) else {
            bail!("a webhook of type {kind:?}, which {DOCUMENT} does not list");
        };
        let schema = &hook["post"]["requestBody"]["content"]["application/json"]["schema"];
        self.validate(&format!("webhook {kind}"), schema, &value)
            .with_context(|| format!("webhook {kind}: {}", preview(body)))
    }
}

/// The body every error answer has, as the document's reusable responses describe it.
fn error_content() -> Value {
    json!({"application/json": {"schema": {"$ref": format!("{SCHEMAS_PATH}ErrorBody")}}})
}

fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
    if body.len() > 300 { format!("{text}…") } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_closed_but_not_properties_named_like_keywords() {
        let mut schema = json!({"type": "object", "properties": {
            "type": {"type": "string"},
            "inner": {"type": "object", "properties": {"a": {"type": "integer"}}}
        }});
        close_objects(&mut schema);
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(schema["properties"]["inner"]["additionalProperties"], json!(false));
        assert!(schema["properties"]["type"].get("additionalProperties").is_none());
    }
}
