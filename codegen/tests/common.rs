//! Synthetic specs for the pass tests.
#![allow(dead_code)]

use serde_json::{json, Value};

/// An error response with body schema `schema`.
pub fn error(schema: &str) -> Value {
    json!({ "description": "error", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

/// A JSON response with body schema `schema`.
pub fn ok(schema: &str) -> Value {
    json!({ "description": "ok", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

/// A JSON request body with schema `schema`.
pub fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

pub fn r(schema: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{schema}") })
}

/// A small spec shaped like Dixa's: one GET returning `Page` (a list of
/// `Conversation` union values) and one POST taking `CreateInput`, each with
/// Dixa's three same-shaped error responses.
pub fn dixa_like() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": { "title": "Dixa", "version": "v1" },
        "paths": {
            "/v1/conversations": {
                "get": {
                    "operationId": "Conversations_listConversations",
                    "tags": ["Conversations"],
                    "parameters": [ { "name": "pageKey", "in": "query", "required": false, "schema": { "type": "string" } } ],
                    "responses": { "200": ok("Page"), "400": error("BadRequest"), "404": error("NotFound"), "500": error("ServerError") }
                },
                "post": {
                    "operationId": "Conversations_createConversation",
                    "tags": ["Conversations"],
                    "requestBody": body("CreateInput"),
                    "responses": { "201": ok("Created"), "400": error("BadRequest"), "500": error("ServerError") }
                }
            }
        },
        "components": { "schemas": {
            "BadRequest": { "type": "object", "required": ["message"], "properties": { "message": { "type": "string" } } },
            "NotFound": { "type": "object", "required": ["message"], "properties": { "message": { "type": "string" } } },
            "ServerError": { "type": "object", "required": ["message"], "properties": { "message": { "type": "string" } } },
            "PaginationLinks": { "type": "object", "properties": { "next": { "type": "string" }, "previous": { "type": "string" } } },
            "Page": { "type": "object", "properties": {
                "data": { "type": "array", "items": r("Conversation") },
                "meta": r("PaginationLinks")
            } },
            "Conversation": { "oneOf": [ r("EmailConversation"), r("ChatConversation") ] },
            "EmailConversation": { "type": "object", "required": ["id", "createdAt"], "properties": {
                "id": { "type": "integer", "format": "int64" },
                "createdAt": { "type": "string", "format": "date-time" },
                "direction": { "type": "string", "description": "values: [Outbound, Inbound]" },
                "kind": { "$ref": "#/components/schemas/DeprecatedKind" },
                "_type": { "type": "string", "description": "values: [Email, Chat]" }
            } },
            "ChatConversation": { "type": "object", "required": ["id"], "properties": {
                "id": { "type": "integer", "format": "int64" },
                "direction": { "type": "string", "description": "values: [Inbound, Outbound]" }
            } },
            "DeprecatedKind": { "deprecated": true, "description": "Replaced by _type", "oneOf": [ r("EmailKind"), r("ChatKind") ] },
            "EmailKind": { "type": "object" },
            "ChatKind": { "type": "object" },
            "CreateInput": { "type": "object", "required": ["subject"], "properties": {
                "subject": { "type": "string" },
                "middleNames": { "type": "array", "items": { "type": "string" } },
                "tags": { "type": "array", "items": { "type": "string" } },
                "priority": { "type": "string", "description": "values: [Low, High]" },
                "content": r("Content")
            } },
            "Content": { "oneOf": [ r("Html"), r("Text1") ] },
            "Html": { "type": "object", "required": ["value"], "properties": { "value": { "type": "string" } } },
            "Text": { "type": "object", "properties": { "placeholder": { "type": "string" } } },
            "Text1": { "type": "object", "required": ["value"], "properties": { "value": { "type": "string" } } },
            "Created": { "type": "object", "properties": { "data": r("EmailConversation"), "_type": { "type": "string", "description": "values: [Created, Updated]" } } }
        } }
    })
}
