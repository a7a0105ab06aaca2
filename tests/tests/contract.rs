//! The client's generated types decode what the fake answers, for every
//! operation of the wire spec (the fake's spec-driven answers included).

use dixa_fake::FakeDixa;

#[tokio::test]
async fn every_answer_of_the_fake_decodes_into_the_generated_types() {
    let fake = FakeDixa::builder().agents(5).end_users(5).conversations(5).spawn().await;
    let id = |name: &str| match name {
        "agentId" => Some(fake.agent_id(0)),
        "userId" => Some(fake.end_user_id(0)),
        "conversationId" => Some(fake.conversation_id(0).to_string()),
        "tagId" => Some(fake.tag_id(0)),
        "queueId" => Some(fake.queue_id(0)),
        "teamId" => Some(fake.team_id(0)),
        _ => None,
    };
    let outcomes = dixa_tests::exercise(&reqwest::Client::new(), &fake.base_url(), None, &id).await;
    assert!(outcomes.len() >= 84, "83 operations and the search next-page route: {}", outcomes.len());
    let mut problems = Vec::new();
    let mut successes = 0;
    for o in &outcomes {
        if o.status == 405 || o.status >= 500 || (o.status == 404 && format!("{:?}", o.decoded).contains("No endpoint"))
        {
            problems.push(format!("{}: not answered: {} {:?}", o.operation, o.status, o.decoded));
        } else if o.success {
            successes += 1;
            if let Err(e) = &o.decoded {
                problems.push(format!("{}: answer does not decode: {e}", o.operation));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Stateful handlers may refuse a sample (an id they do not hold, a rule
    // of their own, a page key the sample cannot know): at most one in ten.
    assert!(
        (outcomes.len() - successes) * 10 <= outcomes.len(),
        "{successes} of {} succeeded: {outcomes:#?}",
        outcomes.len()
    );
}
