//! typify's untagged enums whose variants take different kinds of JSON value
//! (`CustomAttributeValue`: an array of strings or a string) are decoded by
//! the kind, not by trying each variant (see the generator's
//! `untagged_by_kind`): the same values as the derive, the derive's message
//! for a value of no variant's kind, and the same JSON written back.

use dixa_client::types::{CustomAttribute, CustomAttributeValue, MapAttributeValueValue};
use serde_json::{json, Value};

fn attribute(value: Value) -> Value {
    json!({
        "id": "3385ea26-cf9f-4dcb-b5ea-0ca700000000",
        "name": "Order number",
        "identifier": "order_number",
        "value": value,
    })
}

#[test]
fn a_string_or_an_array_decodes_to_its_variant_and_writes_back_the_same() {
    for value in [json!("40000"), json!("esc\"aped \u{fc}"), json!(["a", "b"]), json!([])] {
        let text = attribute(value.clone()).to_string();
        // From bytes, from text (borrowed strings) and from a Value (owned ones).
        let from_slice: CustomAttribute = serde_json::from_slice(text.as_bytes()).unwrap();
        let from_str: CustomAttribute = serde_json::from_str(&text).unwrap();
        let from_value: CustomAttribute = serde_json::from_value(attribute(value.clone())).unwrap();
        for decoded in [&from_slice, &from_str, &from_value] {
            match (&decoded.value, &value) {
                (CustomAttributeValue::String(s), Value::String(v)) => assert_eq!(s, v),
                (CustomAttributeValue::Array(a), Value::Array(v)) => {
                    assert_eq!(a.iter().map(|s| json!(s)).collect::<Vec<_>>(), *v)
                }
                (other, _) => panic!("{value} decoded as {other:?}"),
            }
            assert_eq!(serde_json::to_value(decoded).unwrap(), attribute(value.clone()));
        }
    }
    let map: MapAttributeValueValue = serde_json::from_str(r#"["x"]"#).unwrap();
    assert!(matches!(map, MapAttributeValueValue::Array(a) if a == ["x"]));
}

#[test]
fn a_value_of_no_variants_kind_fails_with_the_untagged_message() {
    for value in [json!(5), json!(-1), json!(1.5), json!(true), json!(null), json!({"a": 1})] {
        let text = attribute(value.clone()).to_string();
        let err = serde_json::from_str::<CustomAttribute>(&text).unwrap_err();
        assert!(
            err.to_string().starts_with("data did not match any variant of untagged enum CustomAttributeValue"),
            "{value}: {err}"
        );
    }
    // A bad element of the array fails with its own error now (and a
    // path-tracking decode names it, `value[1]`: dixa-client-ext's tests).
    let text = attribute(json!(["a", 7])).to_string();
    let err = serde_json::from_str::<CustomAttribute>(&text).unwrap_err();
    assert!(err.to_string().starts_with("invalid type: integer `7`, expected a string"), "{err}");
}
