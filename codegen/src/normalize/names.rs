//! Naming rules shared by the passes and the generator.

use std::collections::BTreeSet;

use heck::{ToPascalCase, ToSnakeCase};
use unicode_ident::{is_xid_continue, is_xid_start};

/// The Rust type name typify gives the component schema `schema`.
///
/// Mirrors typify 0.8's `sanitize(name, Case::Pascal)` for the identifier-like
/// names the Dixa spec uses: replacements are keyed by this name, so it must
/// match typify exactly (a test compares it with typify's output).
pub fn rust_type_name(schema: &str) -> String {
    // XID rules exactly as typify applies them: `²` is alphanumeric but no
    // identifier character, and an identifier holding it makes quoting panic.
    let cleaned: String = schema.replace('\'', "").chars().map(|c| if is_xid_continue(c) { c } else { '-' }).collect();
    let out = cleaned.to_pascal_case();
    let out = match out.chars().next() {
        None => "X".to_string(),
        Some(c) if is_xid_start(c) => out,
        Some(_) => format!("X{out}"),
    };
    if typify::accept_as_ident(&out) {
        out
    } else {
        format!("{out}_")
    }
}

/// A snake_case Rust identifier for `name` (progenitor's method naming).
pub fn snake(name: &str) -> String {
    name.to_snake_case()
}

/// The method name progenitor 0.15 emits for operationId `id`.
///
/// Mirrors progenitor's `sanitize(id, Case::Snake)`: snake case, a leading
/// `_` before a non-identifier start (`3dSecure` -> `_3d_secure`), a trailing
/// `_` after a keyword (`type` -> `type_`). progenitor passes this sanitized
/// name to hooks as `OperationInfo::operation_id`, so the normalized
/// operationId must already be in this form for `OPERATIONS` to match what
/// the generated code reports.
pub fn method_name(id: &str) -> String {
    let cleaned: String = id.replace('\'', "").chars().map(|c| if is_xid_continue(c) { c } else { '-' }).collect();
    let out = cleaned.to_snake_case();
    let out = match out.chars().next() {
        None => "x".to_string(),
        Some(c) if is_xid_start(c) => out,
        Some(_) => format!("_{out}"),
    };
    if typify::accept_as_ident(&out) {
        out
    } else {
        format!("{out}_")
    }
}

/// The `_type` value Dixa puts on the wire for the variant schema `schema`.
///
/// The spec exporter names generic instances `Base_Arg1_Arg2` and breaks name
/// clashes by appending a number; neither is on the wire:
/// - `BulkActionSuccess_BulkError_Agent` -> `BulkActionSuccess`
/// - `NotFound1` -> `NotFound` when a schema `NotFound` exists in the spec,
///   or another numbered one (`Text1` and `Text2` without `Text`: the clash
///   is between those two); otherwise the digits are part of the real name,
///   e.g. `Oauth2`.
pub fn wire_tag(schema: &str, all_schemas: &BTreeSet<String>) -> String {
    let base = schema.split('_').next().unwrap_or(schema);
    let base = if base.is_empty() { schema } else { base };
    let trim = |s: &str| s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let trimmed = &base[..trim(base)];
    let numbered_sibling = || {
        all_schemas.iter().any(|o| {
            o.as_str() != base && o.len() > trimmed.len() && o.starts_with(trimmed) && trim(o) == trimmed.len()
        })
    };
    if trimmed.len() < base.len() && !trimmed.is_empty() && (all_schemas.contains(trimmed) || numbered_sibling()) {
        trimmed.to_string()
    } else {
        base.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn wire_tag_drops_generic_arguments_and_clash_suffixes() {
        let all = names(&["NotFound", "NotFound1", "Text", "Text1", "Text2", "Oauth2"]);
        assert_eq!(wire_tag("BulkActionSuccess_BulkError_Agent", &all), "BulkActionSuccess");
        assert_eq!(wire_tag("BulkActionFailure_ErrorResponse_InternalNoteData", &all), "BulkActionFailure");
        assert_eq!(wire_tag("NotFound1", &all), "NotFound");
        assert_eq!(wire_tag("Text2", &all), "Text");
        // No unsuffixed schema: the digits belong to the name.
        assert_eq!(wire_tag("Oauth2", &all), "Oauth2");
        // Numbered siblings without the plain name: still a clash suffix.
        let all = names(&["Image1", "Image2", "Oauth2"]);
        assert_eq!(wire_tag("Image1", &all), "Image");
        assert_eq!(wire_tag("Image2", &all), "Image");
        assert_eq!(wire_tag("Oauth2", &all), "Oauth2");
        assert_eq!(wire_tag("EmailConversation", &all), "EmailConversation");
    }

    #[test]
    fn method_name_is_a_fixed_point_identifier() {
        assert_eq!(method_name("downgradeAgent"), "downgrade_agent");
        assert_eq!(method_name("type"), "type_");
        assert_eq!(method_name("3dSecure"), "_3d_secure");
        assert_eq!(method_name("list-agents v2"), "list_agents_v2");
        for id in ["type", "3dSecure", "self", "list_agents"] {
            assert_eq!(method_name(&method_name(id)), method_name(id), "{id}: progenitor must not rename it again");
        }
    }

    #[test]
    fn rust_type_name_matches_typify_casing() {
        assert_eq!(rust_type_name("BulkActionOutcome_BulkError_UUID"), "BulkActionOutcomeBulkErrorUuid");
        assert_eq!(rust_type_name("NotFound1"), "NotFound1");
        assert_eq!(rust_type_name("Map_UUID_Option_AttributeValue"), "MapUuidOptionAttributeValue");
    }
}
