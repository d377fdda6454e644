//! Fault tests: the real `wabot` binary as a child process, killed with
//! SIGKILL at random (seeded) moments under load and started again, while
//! the simulator plays customers and retries webhooks as WAHA does, and
//! WAHA fails sends for a while, then answers slowly for a while. Afterwards every customer message got
//! exactly one reply, every checkout exactly one order, and nothing is left
//! in the inbox or the outbox.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use wabot_load_tests::driver::Driver;
use wabot_load_tests::driver::set_up_restaurant;
use wabot_load_tests::{RetryKind, RetryPolicy, Simulator, SimulatorConfig, WebhookConfig};

use crate::helpers::{Backend, OPERATOR_TOKEN, SECRET, SESSION, fresh_database};
use crate::on_both_backends;

const CUSTOMERS: usize = 12;
const KILLS: usize = 4;

/// One customer's whole order: six messages, six replies.
fn script(n: usize) -> Vec<String> {
    ["hi", "1", "2x 6", "checkout"]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([format!("{n} Fault Street, Testville"), "yes".to_owned()])
        .collect()
}

/// `wabot serve` as a child process on a fixed port.
struct ChildServer {
    child: tokio::process::Child,
}

impl ChildServer {
    async fn start(database_url: &str, port: u16) -> Self {
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wabot"))
            .arg("serve")
            .env("WABOT_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("WABOT_DATABASE__URL", database_url)
            .env("WABOT_OPERATOR__TOKEN", OPERATOR_TOKEN)
            .env("WABOT_WAHA__TYPING_MS_PER_CHAR", "0")
            .env("WABOT_WAHA__BACKOFF_BASE_MS", "20")
            .env("WABOT_WAHA__BACKOFF_MAX_MS", "200")
            .env("WABOT_LOG__LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the wabot binary");
        let health = format!("http://127.0.0.1:{port}/healthz");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "the server did not come up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { child }
    }

    /// SIGKILL: no shutdown code runs.
    async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("reap the child");
    }

    /// SIGTERM: the graceful path (stop HTTP, drain actors).
    async fn terminate(mut self) {
        let pid = self.child.id().expect("running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
        assert!(
            exit.expect("stops within the grace period")
                .expect("exit status")
                .success()
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Points the session's webhook at `url` with fast, long-lasting retries, as
/// a WAHA configured with `retries` would deliver.
async fn use_fast_retries(sim: &Simulator, url: &str) {
    let mut webhook = WebhookConfig::signed(
        format!("{url}/webhooks/waha"),
        &["message", "session.status"],
        SECRET,
    );
    webhook.retries = Some(RetryPolicy {
        policy: RetryKind::Constant,
        delay_seconds: 0.05,
        attempts: 1200,
    });
    sim.set_webhooks(SESSION, vec![webhook], Duration::from_secs(10))
        .await
        .unwrap();
}

async fn every_acknowledged_message_is_answered_once_across_sigkills(backend: Backend) {
    let database_url = fresh_database(backend).await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let sim = Arc::new(Simulator::start(SimulatorConfig::fast()).await.unwrap());
    let mut server = ChildServer::start(&database_url, port).await;
    let driver = Driver::new(&url, OPERATOR_TOKEN);
    let shop = set_up_restaurant(&driver, &sim, SESSION, SECRET)
        .await
        .unwrap();
    use_fast_retries(&sim, &url).await;

    let customers: Vec<_> = (0..CUSTOMERS)
        .map(|n| {
            let sim = sim.clone();
            let driver = Driver::new(&url, OPERATOR_TOKEN);
            tokio::spawn(async move {
                let customer = format!("155590000{n:02}@c.us");
                for (replies, line) in script(n).iter().enumerate() {
                    sim.inject_customer_message(SESSION, &customer, line)
                        .unwrap();
                    driver
                        .wait_for_reply_within(
                            &sim,
                            &customer,
                            replies + 1,
                            Duration::from_secs(60),
                        )
                        .await
                        .unwrap();
                }
                customer
            })
        })
        .collect();

    let mut rng = rand::rngs::StdRng::seed_from_u64(20261124);
    for kill in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..600))).await;
        let ordering = customers.iter().filter(|c| !c.is_finished()).count();
        assert!(
            ordering > 0,
            "kill {kill} came after every customer had finished: nothing was tested"
        );
        server.kill().await;
        match kill {
            // WAHA fails for a while: replies are retried, then held.
            1 => sim.fail_next_sends(15, 503),
            // WAHA answers slowly for a while.
            2 => sim.slow_next_sends(20, Duration::from_millis(300)),
            _ => {}
        }
        server = ChildServer::start(&database_url, port).await;
    }
    let mut finished = Vec::new();
    for customer in customers {
        finished.push(customer.await.expect("every customer finished the order"));
    }
    server.terminate().await;

    for customer in &finished {
        let replies: Vec<String> = sim
            .sent()
            .into_iter()
            .filter(|r| &r.chat_id == customer && r.kind == "text")
            .filter_map(|r| r.text)
            .collect();
        assert_eq!(
            replies.len(),
            6,
            "{customer}: one reply per message, none twice: {replies:#?}"
        );
        assert!(
            replies[5].contains("is placed"),
            "{customer}: the last reply confirms the order: {replies:#?}"
        );
    }
    let store = wabot::storage::open(&database_url).await.unwrap();
    let tenant = shop.tenant_id.parse().unwrap();
    let orders = store.list_orders(tenant).await.unwrap();
    let mut ordering: Vec<&str> = orders.iter().map(|o| o.customer_phone.as_str()).collect();
    ordering.sort_unstable();
    let mut expected: Vec<&str> = finished.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(ordering, expected, "exactly one order per customer");
    assert!(
        store.unprocessed().await.unwrap().is_empty(),
        "every inbox event was processed"
    );
    assert!(
        store.unsent().await.unwrap().is_empty(),
        "every reply was sent"
    );
}
on_both_backends!(every_acknowledged_message_is_answered_once_across_sigkills);
