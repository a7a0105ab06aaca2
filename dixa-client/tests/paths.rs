//! Every URL the generated builders build routes every path parameter
//! through `dixa_client::path::encode_segment` (the rule codegen's builders
//! follow), so the hostile-value tests through some operations
//! in `dixa-client-ext/tests/hostile_paths.rs` speak for all of them.

const GENERATED: &str = include_str!("../src/generated.rs");

#[test]
fn every_generated_path_parameter_goes_through_encode_segment() {
    let compact: String = GENERATED.chars().filter(|c| !c.is_whitespace()).collect();
    let mut urls = 0;
    let mut params = 0;
    for (at, _) in compact.match_indices("let__path=format!(") {
        let call = &compact[at..];
        let end = call.find(");").expect("format! call ends");
        let call = &call[..end];
        // Every `{}` is a parameter (the base URL is the runtime's).
        let holes = call.matches("{}").count();
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

/// A runtime that records what it is asked to send and answers nothing.
#[derive(Default)]
struct Recorder {
    sent: std::sync::Mutex<Vec<dixa_client::runtime::Request>>,
}

#[derive(Debug)]
enum RecorderError {
    Request(dixa_client::runtime::RequestError),
    NoNetwork,
}

impl From<dixa_client::runtime::RequestError> for RecorderError {
    fn from(e: dixa_client::runtime::RequestError) -> Self {
        RecorderError::Request(e)
    }
}

impl dixa_client::runtime::Runtime for Recorder {
    type Error = RecorderError;

    fn execute<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        request: dixa_client::runtime::Request,
    ) -> impl std::future::Future<Output = Result<dixa_client::runtime::Response<T>, RecorderError>> + Send {
        self.sent.lock().unwrap().push(request);
        std::future::ready(Err(RecorderError::NoNetwork))
    }
}

dixa_client::impl_operations!(Recorder);

#[test]
fn a_refused_path_parameter_is_a_request_error_naming_it_and_nothing_is_sent() {
    let recorder = Recorder::default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for value in ["..", ".", ""] {
        let err = runtime.block_on(recorder.list_filter_values().filter_attribute(value).send()).unwrap_err();
        match err {
            RecorderError::Request(dixa_client::runtime::RequestError::PathParam(e)) => {
                assert_eq!(e.param(), "filterAttribute", "{e}");
                assert!(e.to_string().contains("filterAttribute"), "{e}");
            }
            other => panic!("expected a refused path parameter for {value:?}, got {other:?}"),
        }
    }
    assert!(recorder.sent.lock().unwrap().is_empty(), "nothing may reach the runtime");
    // A value that stays one segment reaches the runtime, encoded.
    let _ = runtime.block_on(recorder.list_filter_values().filter_attribute("a/..").send());
    assert_eq!(recorder.sent.lock().unwrap()[0].path, "/v1/analytics/filter/a%2F..");
}
