//! Every URL the generated builders build routes every path parameter
//! through `dixa_client::path::encode_segment` (the rule codegen applies to
//! progenitor's output), so the hostile-value tests through some operations
//! in `dixa-client-ext/tests/hostile_paths.rs` speak for all of them.

const GENERATED: &str = include_str!("../src/generated.rs");

#[test]
fn every_generated_path_parameter_goes_through_encode_segment() {
    let compact: String = GENERATED.chars().filter(|c| !c.is_whitespace()).collect();
    let mut urls = 0;
    let mut params = 0;
    for (at, _) in compact.match_indices("leturl=format!(") {
        let call = &compact[at..];
        let end = call.find(");").expect("format! call ends");
        let call = &call[..end];
        // The first `{}` is the base URL; every other one is a parameter.
        let holes = call.matches("{}").count() - 1;
        let encoded = call.matches("crate::path::encode_segment(").count();
        assert_eq!(holes, encoded, "a path parameter bypasses encode_segment: {call}");
        assert!(!call.contains("encode_path("), "{call}");
        urls += 1;
        params += holes;
    }
    let operations = dixa_client::OPERATIONS.len();
    let templated = dixa_client::OPERATIONS.iter().map(|op| op.path.matches('{').count()).sum::<usize>();
    assert_eq!(urls, operations, "one URL per operation");
    assert_eq!(params, templated, "one encoded parameter per `{{name}}` in the path templates");
}

#[test]
fn a_refused_path_parameter_is_an_invalid_request_naming_it_and_nothing_is_sent() {
    // No server: a request that got as far as sending would fail to connect.
    let client = dixa_client::Client::new("http://127.0.0.1:9", dixa_client::Hooks::none());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let err = runtime.block_on(client.teams_list_members().team_id("..").send()).unwrap_err();
    match err {
        progenitor_client::Error::InvalidRequest(detail) => assert!(detail.contains("`team_id`"), "{detail}"),
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
}
