//! Pass `open_objects`: objects Dixa sends accept members added later.
//!
//! Defect: typify turns `additionalProperties: false` into
//! `#[serde(deny_unknown_fields)]`. Dixa adds members to its objects over
//! time (WIRE-FACTS, "The API keeps growing"); on a response type one new
//! member would fail the whole response, a page of 100 conversations with it.
//!
//! Rule: every component schema reachable from a response loses
//! `additionalProperties: false` (unknown members are then ignored).
//! Request-only schemas keep it: there it catches a caller's typo. Today's
//! spec has none; this guards a future one.

use serde_json::Value;

use super::{usage::Usage, Context, NormalizeError};

const PASS: &str = "open_objects";

pub(crate) fn run(cx: &mut Context) -> Result<(), NormalizeError> {
    let usage = Usage::of(cx);
    for name in &usage.response {
        let Some(schema) = cx.schemas_mut().get_mut(name).and_then(Value::as_object_mut) else { continue };
        if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
            schema.remove("additionalProperties");
            cx.report.add(
                PASS,
                name,
                "additionalProperties: false removed (Dixa adds members; unknown ones are ignored)",
            );
        }
    }
    Ok(())
}
