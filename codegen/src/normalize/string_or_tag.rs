//! Pass `preset`: `Preset.value` accepts both forms Dixa uses.
//!
//! Defect (a documented spec/example disagreement, see WIRE-FACTS): the spec
//! types `Preset.value` as a string (`"PreviousWeek"`), but the spec's own
//! request examples, Dixa's CLI and Dixa's MCP server send the object form
//! `{"_type": "PreviousWeek"}`. Dixa's tools are the better evidence of what
//! the server accepts, and a client reading stored filters meets both.
//!
//! Rule: this pass is keyed on the schema named `Preset` (the disagreement is
//! about that schema, not a shape): its `value` must be a string with a value
//! set. The value set becomes schema `PresetValue` (made open or closed by the
//! `value_sets` pass like any other), and the property becomes
//! `dixa_client::StringOrTag<PresetValue>`, which reads both forms and writes
//! the object form. No `Preset` schema: nothing to do (reported). A `Preset`
//! whose `value` is not a string value set: error, since the fix would no
//! longer match the spec.

use serde_json::{json, Value};

use super::{rust_type_name, schema_ref, value_sets::parse_value_set, Context, NormalizeError};

const PASS: &str = "preset";
const SCHEMA: &str = "Preset";
const PROPERTY: &str = "value";
const VALUE_SCHEMA: &str = "PresetValue";
const WRAPPER_SCHEMA: &str = "PresetValueStringOrTag";

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    let Some(preset) = cx.schemas().get(SCHEMA) else {
        cx.report.add(PASS, SCHEMA, "not in this spec; nothing to do");
        return Ok(());
    };
    let location = format!("{SCHEMA}.{PROPERTY}");
    let prop = preset
        .pointer(&format!("/properties/{PROPERTY}"))
        .ok_or_else(|| NormalizeError::shape(PASS, &location, "missing"))?;
    let values = parse_value_set(prop).ok_or_else(|| {
        NormalizeError::shape(PASS, &location, "expected a string with a `values: [...]` list or an enum")
    })?;
    let description = prop.get("description").and_then(Value::as_str).unwrap_or_default().to_string();
    cx.add_schema(
        PASS,
        VALUE_SCHEMA,
        "the value set of Preset.value",
        json!({ "type": "string", "description": description, "enum": values }),
    )?;
    cx.add_schema(
        PASS,
        WRAPPER_SCHEMA,
        "Preset.value's two wire forms",
        json!({
            "description": "A preset name, read as `\"PreviousWeek\"` or `{\"_type\": \"PreviousWeek\"}`, sent in the object form.",
            "oneOf": [ schema_ref(VALUE_SCHEMA), { "type": "object", "required": ["_type"], "properties": { "_type": schema_ref(VALUE_SCHEMA) } } ]
        }),
    )?;
    cx.schemas_mut()[SCHEMA]["properties"][PROPERTY] = schema_ref(WRAPPER_SCHEMA);
    cx.replace(WRAPPER_SCHEMA, format!("crate::StringOrTag<crate::types::{}>", rust_type_name(VALUE_SCHEMA)));
    cx.report.add(
        PASS,
        location,
        format!("string -> StringOrTag<{VALUE_SCHEMA}>: reads \"X\" and {{\"_type\": \"X\"}}, sends {{\"_type\": \"X\"}}"),
    );
    Ok(())
}
