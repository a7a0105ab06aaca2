//! Pass `optional_values`: map values the spec's exporter calls `Option` may be `null`.
//!
//! Defect: the exporter names generic instances after their Scala types
//! (`Map_UUID_Option_AttributeValue` is `Map[UUID, Option[AttributeValue]]`,
//! as the custom-attribute PATCH bodies also say in words), but writes the
//! value schema without `nullable`. The generated map then can neither send
//! `null` (how a custom attribute is cleared) nor read one.
//!
//! Rule: a component schema whose name is a `Map_` instance with `Option` as
//! the first type argument after the key (`Map_<Key>_Option_<Value...>`) and
//! that has an `additionalProperties` schema gets `nullable: true` on it,
//! which typify types as `Option<V>`.

use serde_json::Value;

use super::{Context, NormalizeError};

const PASS: &str = "optional_values";

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    let names: Vec<String> = cx.schemas().keys().filter(|n| option_valued_map(n)).cloned().collect();
    for name in names {
        let Some(values) = cx.schemas_mut().get_mut(&name).and_then(|s| s.get_mut("additionalProperties")) else {
            continue;
        };
        if !values.is_object() {
            // `additionalProperties: true` has no schema to annotate.
            continue;
        }
        if values.get("nullable") != Some(&Value::Bool(true)) {
            values["nullable"] = Value::Bool(true);
            cx.report.add(PASS, &name, "map values are Option[...] -> nullable (null clears a value)");
        }
    }
    Ok(())
}

/// `Map_<Key>_Option_<Value...>`: the segment after the key is `Option`.
fn option_valued_map(name: &str) -> bool {
    let mut parts = name.split('_');
    parts.next() == Some("Map")
        && parts.next().is_some_and(|key| !key.is_empty() && key != "Option")
        && parts.next() == Some("Option")
        && parts.next().is_some()
}
