//! The OpenAPI 3.0 document, written beside the routes it describes (`routes.rs`): one
//! entry per route, the error shape shared by all.

use serde_json::{Value, json};

fn error_responses(codes: &[&str]) -> Value {
    let mut map = serde_json::Map::new();
    for code in codes {
        map.insert(
            (*code).to_owned(),
            json!({ "description": "error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
        );
    }
    Value::Object(map)
}

fn ok(schema: Value) -> Value {
    json!({ "description": "ok", "content": { "application/json": { "schema": schema } } })
}

fn with_errors(ok_response: Value, codes: &[&str]) -> Value {
    let mut responses = error_responses(codes);
    responses["200"] = ok_response;
    responses
}

fn ean_parameter() -> Value {
    json!({ "name": "ean", "in": "path", "required": true,
            "schema": { "type": "string", "pattern": "^[0-9]{18}$" },
            "description": "18-digit GS1 GSRN of the access point" })
}

fn integer_query(name: &str, required: bool) -> Value {
    json!({ "name": name, "in": "query", "required": required, "schema": { "type": "integer", "minimum": 0 } })
}

fn string_query(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": description })
}

/// The document served at `/openapi.json`.
pub fn document() -> Value {
    let object = json!({ "type": "object" });
    let secured = json!([{ "bearer": [] }]);
    json!({
        "openapi": "3.0.3",
        "info": { "title": "Cloison", "version": env!("CARGO_PKG_VERSION"),
                  "description": "The access register of a distribution grid operator: every answer clipped to what the caller may see, every access journaled." },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": { "type": "object", "required": ["code", "message"],
                           "properties": { "code": { "type": "string" }, "message": { "type": "string" } } },
                "Head": { "type": "object", "required": ["size", "root", "time", "signature", "public_key"],
                          "properties": { "size": { "type": "integer" }, "root": { "type": "string" }, "time": { "type": "string" },
                                          "signature": { "type": "string" }, "public_key": { "type": "string" } } },
                "Proof": { "type": "object", "required": ["hashes"],
                           "properties": { "hashes": { "type": "array", "items": { "type": "string" } } } }
            }
        },
        "paths": {
            "/healthz": { "get": { "summary": "Liveness", "responses": { "200": ok(object.clone()) } } },
            "/metrics": { "get": { "summary": "Prometheus metrics", "responses": {
                "200": { "description": "ok", "content": { "text/plain": { "schema": { "type": "string" } } } } } } },
            "/v1/me": { "get": { "summary": "The caller", "security": secured,
                "responses": with_errors(ok(object.clone()), &["401", "500"]) } },
            "/v1/access-points/{ean}": { "get": { "summary": "An access point at an instant, clipped to what the caller may see",
                "security": secured,
                "parameters": [ean_parameter(), { "name": "at", "in": "query", "required": false,
                                "schema": { "type": "string", "format": "date-time" } }],
                "responses": with_errors(ok(object.clone()), &["400", "401", "404", "500"]) } },
            "/v1/access-points/{ean}/history": { "get": { "summary": "The history of an access point, clipped",
                "security": secured, "parameters": [ean_parameter()],
                "responses": with_errors(ok(object.clone()), &["400", "401", "404", "500"]) } },
            "/v1/journal/head": { "get": { "summary": "The signed head of the journal (public)",
                "responses": with_errors(ok(json!({ "$ref": "#/components/schemas/Head" })), &["500"]) } },
            "/v1/journal/proofs/inclusion": { "get": { "summary": "Inclusion proof (public, hashes only)",
                "parameters": [integer_query("index", true), integer_query("size", false)],
                "responses": with_errors(ok(json!({ "$ref": "#/components/schemas/Proof" })), &["400", "500"]) } },
            "/v1/journal/proofs/consistency": { "get": { "summary": "Consistency proof (public, hashes only)",
                "parameters": [integer_query("old", true), integer_query("new", false)],
                "responses": with_errors(ok(json!({ "$ref": "#/components/schemas/Proof" })), &["400", "500"]) } },
            "/v1/journal/entries": { "get": { "summary": "Journal entries (ethics committee only)", "security": secured,
                "parameters": [string_query("subject", "EAN or party id"), string_query("actor", "party id of the actor"),
                               string_query("from", "RFC 3339 instant"), string_query("to", "RFC 3339 instant"),
                               integer_query("limit", false)],
                "responses": with_errors(ok(json!({ "type": "array", "items": object })), &["400", "401", "403", "500"]) } }
        }
    })
}
