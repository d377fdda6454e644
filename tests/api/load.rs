//! The load generator runs against a real server and reports no loss.

use std::time::Duration;

use wabot_load_tests::load::{self, LoadPlan, Scenario};

use crate::harness::{Backend, OPERATOR_TOKEN, Server, fresh_database, test_settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_noisy_run_answers_every_message_once_and_measures_both_targets() {
    let database_url = fresh_database(Backend::Sqlite).await;
    let mut settings = test_settings(&database_url);
    settings.waha.messages_per_second = std::num::NonZeroU32::new(10_000).unwrap();
    settings.waha.burst = std::num::NonZeroU32::new(10_000).unwrap();
    let server = Server::start(settings).await;
    let plan = LoadPlan {
        scenario: Scenario::Noisy,
        tenants: 2,
        customers_per_tenant: 2,
        noisy_factor: 3,
        answer_timeout: Duration::from_secs(20),
    };
    let report = load::run(&plan, &server.url, OPERATOR_TOKEN).await.unwrap();
    assert_eq!(report.customers, 8);
    assert_eq!(
        report.wabot.messages, 48,
        "six answered messages per customer"
    );
    assert_eq!((report.wabot.lost, report.wabot.duplicated), (0, 0));
    assert_eq!(report.echo.messages, 48);
    assert!(report.throughput_ratio > 0.0);
    assert_eq!(
        report.wabot.answer_noisy_tenant.as_ref().unwrap().samples,
        36
    );
    assert!(report.markdown().contains("Throughput ratio"));
    server.stop().await;
}
