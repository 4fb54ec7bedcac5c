//! `/openapi.json` over HTTP: generated from the handlers, every route in it, and real answers
//! shaped as it says.

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::*;
use crate::over_http;

/// The source that registers routes. Routes registered with `routes!` carry their
/// description; a plain `.route(` would not, so none may appear.
const ROUTE_SOURCES: [(&str, &str); 11] = [
    ("routes.rs", include_str!("../../src/routes.rs")),
    ("lib.rs", include_str!("../../src/lib.rs")),
    ("market.rs", include_str!("../../src/market.rs")),
    ("metering.rs", include_str!("../../src/metering.rs")),
    ("mandates.rs", include_str!("../../src/mandates.rs")),
    ("access.rs", include_str!("../../src/access.rs")),
    ("documents.rs", include_str!("../../src/documents.rs")),
    ("producers.rs", include_str!("../../src/producers.rs")),
    ("works.rs", include_str!("../../src/works.rs")),
    ("research.rs", include_str!("../../src/research.rs")),
    ("contact.rs", include_str!("../../src/contact.rs")),
];

/// The sources whose handlers carry `#[utoipa::path]`.
const HANDLER_SOURCES: [&str; 10] = [
    ROUTE_SOURCES[0].1,
    ROUTE_SOURCES[2].1,
    ROUTE_SOURCES[3].1,
    ROUTE_SOURCES[4].1,
    ROUTE_SOURCES[5].1,
    ROUTE_SOURCES[6].1,
    ROUTE_SOURCES[7].1,
    ROUTE_SOURCES[8].1,
    ROUTE_SOURCES[9].1,
    ROUTE_SOURCES[10].1,
];

/// The `path = "…"` of every `#[utoipa::path]` in the handlers' sources, once per path (two
/// methods on one path are one `routes!`).
fn annotated_paths() -> Vec<String> {
    let mut paths: Vec<String> = HANDLER_SOURCES
        .iter()
        .flat_map(|source| source.split("#[utoipa::path(").skip(1))
        .map(|attribute| {
            let after = attribute.split("path = \"").nth(1).expect("every annotation names its path");
            after.split('"').next().expect("closing quote").to_owned()
        })
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// Whether `value` has the shape `schema` describes: types, enums, the EAN pattern, date-times,
/// no field the schema does not list, every required one present.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if let Some(alternatives) = schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array)
    {
        return if alternatives.iter().any(|a| conforms(doc, a, value, at).is_ok()) {
            Ok(())
        } else {
            Err(format!("{at}: {value} matches no alternative of {schema}"))
        };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let actual = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let typed =
        types.is_empty() || types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
    if !typed {
        return Err(format!("{at}: {value} is {actual}, the schema says {types:?}"));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        if !values.contains(value) {
            return Err(format!("{at}: {value} is not one of {values:?}"));
        }
    }
    if let Value::String(text) = value {
        if schema["pattern"] == "^[0-9]{18}$"
            && !(text.len() == 18 && text.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!("{at}: {text} is not 18 digits"));
        }
        if schema["format"] == "date-time" && text.parse::<jiff::Timestamp>().is_err() {
            return Err(format!("{at}: {text} is not a date-time"));
        }
    }
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                let Some(property) = schema["properties"].get(name) else {
                    return Err(format!("{at}: field {name} is not in the schema {schema}"));
                };
                conforms(doc, property, field, &format!("{at}.{name}"))?;
            }
            for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if !fields.contains_key(required) {
                    return Err(format!("{at}: required field {required} is missing"));
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                conforms(doc, &schema["items"], item, &format!("{at}[{i}]"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The answer to GET `path` as `caller` checks against the document's schema for that route
/// and status.
async fn check(s: &Server, doc: &Value, caller: Option<&str>, route: &str, path: &str, status: StatusCode) {
    let (got, body) = s.get(caller, path).await;
    assert_eq!(got, status, "{path}: {body}");
    let response = &doc["paths"][route]["get"]["responses"][status.as_str()];
    assert!(response.is_object(), "{route} does not document {status}");
    let schema = &response["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{route} {status}: no JSON schema");
    if let Err(problem) = conforms(doc, schema, &body, path) {
        panic!("{route} {status}: {problem}");
    }
}

async fn openapi_document(s: &Server) {
    let (status, doc) = s.get(None, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{doc}");
    let documented: Vec<&String> = doc["paths"].as_object().expect("paths").keys().collect();

    // Every route is registered with its description, and every description is routed.
    for (file, source) in ROUTE_SOURCES {
        assert!(!source.contains(".route("), "{file} registers a route outside routes!(), undocumented");
    }
    let annotated = annotated_paths();
    assert_eq!(annotated.len(), ROUTE_SOURCES[0].1.matches(".routes(routes!(").count());
    let mut annotated_sorted = annotated.clone();
    annotated_sorted.sort();
    let mut documented_sorted: Vec<String> = documented.iter().map(|p| p.to_string()).collect();
    documented_sorted.sort();
    assert_eq!(annotated_sorted, documented_sorted, "every annotated route is in /openapi.json");
    for route in &documented {
        let path = route.replace("{ean}", &ean(1).to_string());
        let path = match route.as_str() {
            "/v1/journal/proofs/inclusion" => format!("{path}?index=0"),
            "/v1/journal/proofs/consistency" => format!("{path}?old=0"),
            _ => path,
        };
        let (status, body) = s.get(Some("auditor"), &path).await;
        assert_ne!(body["code"], "no_route", "{route} is documented but not routed ({status})");
    }
    let (status, body) = s.get(Some("auditor"), "/v1/no-such-thing").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_route")), "{body}");

    // The parameters as they are parsed.
    let parameters = doc["paths"]["/v1/access-points/{ean}"]["get"]["parameters"].as_array().expect("list");
    let parameter = |name: &str| parameters.iter().find(|p| p["name"] == name).expect("documented").clone();
    assert_eq!(parameter("ean")["schema"]["pattern"], "^[0-9]{18}$");
    assert_eq!(parameter("ean")["in"], "path");
    assert_eq!(parameter("at")["schema"]["format"], "date-time");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    // Real answers have the documented shapes, errors included.
    let ap = format!("/v1/access-points/{}", ean(1));
    let at = |h: i64| t(h).to_string();
    let ok = StatusCode::OK;
    check(s, &doc, None, "/healthz", "/healthz", ok).await;
    check(s, &doc, Some("customer_x"), "/v1/me", "/v1/me", ok).await;
    check(s, &doc, Some("register_staff"), "/v1/access-points/{ean}", &format!("{ap}?at={}", at(50)), ok)
        .await;
    check(s, &doc, Some("supplier_a"), "/v1/access-points/{ean}", &format!("{ap}?at={}", at(50)), ok).await;
    check(s, &doc, Some("customer_x"), "/v1/access-points/{ean}/history", &format!("{ap}/history"), ok).await;
    check(s, &doc, Some("supplier_b"), "/v1/access-points/{ean}/history", &format!("{ap}/history"), ok).await;
    check(s, &doc, Some("register_staff"), "/v1/access-points/{ean}/history", &format!("{ap}/history"), ok)
        .await;
    check(s, &doc, Some("customer_x"), "/v1/me/access-log", "/v1/me/access-log", ok).await;
    check(s, &doc, None, "/v1/journal/head", "/v1/journal/head", ok).await;
    check(s, &doc, None, "/v1/journal/proofs/inclusion", "/v1/journal/proofs/inclusion?index=0", ok).await;
    check(s, &doc, None, "/v1/journal/proofs/consistency", "/v1/journal/proofs/consistency?old=1", ok).await;
    check(s, &doc, Some("auditor"), "/v1/journal/entries", "/v1/journal/entries?limit=5", ok).await;
    check(s, &doc, Some("auditor"), "/v1/mandates", "/v1/mandates", ok).await;
    check(s, &doc, Some("auditor"), "/v1/access-requests", "/v1/access-requests", ok).await;
    check(s, &doc, Some("customer_x"), "/v1/access-requests", "/v1/access-requests", StatusCode::FORBIDDEN)
        .await;
    check(s, &doc, Some("supplier_a"), "/v1/mandates", "/v1/mandates", StatusCode::FORBIDDEN).await;
    let route = "/v1/access-points/{ean}";
    check(s, &doc, None, route, &ap, StatusCode::UNAUTHORIZED).await;
    check(s, &doc, Some("supplier_c"), route, &ap, StatusCode::NOT_FOUND).await;
    check(s, &doc, Some("supplier_c"), route, "/v1/access-points/123", StatusCode::BAD_REQUEST).await;
    check(s, &doc, Some("supplier_c"), route, &format!("{ap}?at=soon"), StatusCode::BAD_REQUEST).await;
    check(s, &doc, Some("support"), "/v1/me/access-log", "/v1/me/access-log", StatusCode::FORBIDDEN).await;
    let inclusion = "/v1/journal/proofs/inclusion";
    check(s, &doc, None, inclusion, &format!("{inclusion}?index=x"), StatusCode::BAD_REQUEST).await;
    check(s, &doc, None, inclusion, inclusion, StatusCode::BAD_REQUEST).await;
}
over_http!(the_openapi_document_lists_every_route_and_the_real_shapes, openapi_document);

/// The names of the properties of the schema `name` in the document, in order.
fn documented_properties(doc: &Value, name: &str) -> Vec<String> {
    let schema = &doc["components"]["schemas"][name];
    let properties = schema["properties"].as_object().unwrap_or_else(|| panic!("no schema {name}: {schema}"));
    properties.keys().cloned().collect()
}

/// That `value`, a real answer, has exactly the fields the schema `name` documents: the keys it
/// has, plus those in `absent` (optional fields this answer leaves out, which the schema must
/// not require), are the schema's properties. `conforms` above allows optional properties that
/// no answer ever carries; this does not, so a field renamed or dropped on one side fails.
fn same_fields(doc: &Value, name: &str, value: &Value, absent: &[&str]) {
    let fields = value.as_object().unwrap_or_else(|| panic!("{name}: {value} is not an object"));
    let mut keys: Vec<String> = fields.keys().cloned().chain(absent.iter().map(|a| a.to_string())).collect();
    let mut documented = documented_properties(doc, name);
    keys.sort();
    documented.sort();
    assert_eq!(keys, documented, "{name}: the answer's fields and the documented properties differ: {value}");
    let required = &doc["components"]["schemas"][name]["required"];
    for field in absent {
        assert!(
            !required.as_array().into_iter().flatten().any(|r| r == field),
            "{name}: {field} is left out of answers but documented as required"
        );
    }
}

/// The answers' shapes and the schemas of the same name in `/openapi.json` list the same
/// fields: the journal's head and proofs (one wire shape, `app::wire`, for the API and the CLI)
/// and the register's views, down to the nested parts a supplier's and a customer's answers
/// carry.
async fn answers_have_exactly_the_documented_fields(s: &Server) {
    let (status, doc) = s.get(None, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    let ok = |path: &str, (status, body): (StatusCode, Value)| {
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    };
    let get = |caller: Option<&'static str>, path: String| async move {
        let answer = s.get(caller, &path).await;
        ok(&path, answer)
    };

    let head = get(None, "/v1/journal/head".into()).await;
    same_fields(&doc, "Head", &head, &[]);
    let inclusion = get(None, "/v1/journal/proofs/inclusion?index=0".into()).await;
    same_fields(&doc, "InclusionProof", &inclusion, &[]);
    let consistency = get(None, "/v1/journal/proofs/consistency?old=1".into()).await;
    same_fields(&doc, "ConsistencyProof", &consistency, &[]);

    let ap = format!("/v1/access-points/{}", ean(1));
    let at_50 = get(Some("register_staff"), format!("{ap}?at={}", t(50))).await;
    same_fields(&doc, "AccessPoint", &at_50, &[]);
    same_fields(&doc, "Address", &at_50["address"], &["box"]);
    same_fields(&doc, "Holder", &at_50["supplier"], &[]);
    same_fields(&doc, "Period", &at_50["supplier"]["period"], &[]);
    same_fields(&doc, "PartyRef", &at_50["supplier"]["party"], &[]);
    same_fields(&doc, "PartyRef", &at_50["occupant"]["party"], &["gln"]);

    let history = get(Some("supplier_b"), format!("{ap}/history")).await;
    same_fields(&doc, "History", &history, &[]);

    let me = get(Some("customer_x"), "/v1/me".into()).await;
    same_fields(&doc, "Me", &me, &[]);

    // A page with a next one: Yasmine, the occupant now, after two reads by her supplier.
    let system = app::Actor {
        party: "cloison-test".parse().expect("id"),
        role: app::Role::System,
        session: "t".into(),
    };
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let yasmine =
        s.app.create_token(&system, "nu-y", app::Role::Customer, expires).await.expect("token").secret;
    get(Some("supplier_b"), ap.clone()).await;
    get(Some("supplier_b"), ap.clone()).await;
    let (status, log) = s.get_as(&yasmine, "/v1/me/access-log?limit=1").await;
    let log = ok("/v1/me/access-log?limit=1", (status, log));
    same_fields(&doc, "AccessLog", &log, &[]);
    // A page counts journal entries read, not accesses found: the whole log for an entry.
    let (status, log) = s.get_as(&yasmine, "/v1/me/access-log").await;
    let log = ok("/v1/me/access-log", (status, log));
    let entry = &log["entries"][0];
    same_fields(&doc, "AccessLogEntry", entry, &[]);
    let service_or_party = if entry["accessor"].get("party").is_some() { "service" } else { "party" };
    same_fields(&doc, "Accessor", &entry["accessor"], &[service_or_party]);
}
over_http!(
    answers_have_exactly_the_documented_fields_of_their_schema,
    answers_have_exactly_the_documented_fields
);
