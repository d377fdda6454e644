//! Fault tests: the real `wabot` binary as a child process, under load from
//! customers that the simulator plays (with WAHA-style webhook retries), while
//! things break at seeded random moments:
//! - the server is killed with SIGKILL and started again, and WAHA fails
//!   sends for a while, answers slowly for a while, and refuses connections
//!   for a while;
//! - PostgreSQL (a private cluster) is restarted under the running server.
//!
//! Afterwards every customer message got exactly one reply, every checkout
//! exactly one order, and nothing is left in the inbox or the outbox.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use waha_sim::driver::Driver;
use waha_sim::driver::set_up_restaurant;
use waha_sim::{RetryKind, RetryPolicy, Simulator, SimulatorConfig, WebhookConfig};

use crate::harness::{
    Backend, ChildServer, OPERATOR_TOKEN, SECRET, SESSION, free_port, fresh_database,
};
use crate::on_both_backends;

const CUSTOMERS: usize = 12;
const KILLS: usize = 4;
const POSTGRES_RESTARTS: usize = 2;

/// One customer's whole order: six messages, six replies.
fn script(n: usize) -> Vec<String> {
    ["hi", "1", "2x 6", "checkout"]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([format!("{n} Fault Street, Testville"), "yes".to_owned()])
        .collect()
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

/// A shop, its server and customers who are each running a whole order.
struct OrderLoad {
    database_url: String,
    port: u16,
    sim: Arc<Simulator>,
    server: Option<ChildServer>,
    tenant_id: String,
    customers: Vec<tokio::task::JoinHandle<String>>,
}

impl OrderLoad {
    async fn start(database_url: String) -> Self {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let sim = Arc::new(Simulator::start(SimulatorConfig::fast()).await.unwrap());
        let server = ChildServer::start(&database_url, port).await;
        let driver = Driver::new(&url, OPERATOR_TOKEN);
        let shop = set_up_restaurant(&driver, &sim, SESSION, SECRET)
            .await
            .unwrap();
        use_fast_retries(&sim, &url).await;
        let customers = (0..CUSTOMERS)
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
                                Duration::from_secs(90),
                            )
                            .await
                            .unwrap();
                    }
                    customer
                })
            })
            .collect();
        Self {
            database_url,
            port,
            sim,
            server: Some(server),
            tenant_id: shop.tenant_id,
            customers,
        }
    }

    /// Fails the test if every customer is done already: the fault would
    /// then have hit an idle server and proven nothing.
    fn assert_customers_are_ordering(&self, fault: &str) {
        let ordering = self.customers.iter().filter(|c| !c.is_finished()).count();
        assert!(
            ordering > 0,
            "{fault} came after every customer had finished: nothing was tested"
        );
    }

    async fn kill_and_restart_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.kill().await;
        }
        self.server = Some(ChildServer::start(&self.database_url, self.port).await);
    }

    /// Waits for every customer, stops the server gracefully and checks
    /// that nothing was lost or repeated.
    async fn finish_and_check(mut self) {
        let mut finished = Vec::new();
        for customer in std::mem::take(&mut self.customers) {
            finished.push(customer.await.expect("every customer finished the order"));
        }
        if let Some(server) = self.server.take() {
            server.terminate().await;
        }
        for customer in &finished {
            let replies: Vec<String> = self
                .sim
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
        let store = wabot::storage::open(
            &self.database_url,
            std::sync::Arc::new(wabot::secret_box::SecretBox::ephemeral()),
        )
        .await
        .unwrap();
        let orders = store
            .list_orders(self.tenant_id.parse().unwrap())
            .await
            .unwrap();
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
}

async fn every_acknowledged_message_is_answered_once_across_sigkills(backend: Backend) {
    let mut load = OrderLoad::start(fresh_database(backend).await).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261124);
    for kill in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..600))).await;
        load.assert_customers_are_ordering(&format!("kill {kill}"));
        load.kill_and_restart_server().await;
        match kill {
            // WAHA fails for a while: replies are retried, then held.
            1 => load.sim.fail_next_sends(15, 503),
            // WAHA answers slowly for a while.
            2 => load.sim.slow_next_sends(20, Duration::from_millis(300)),
            // WAHA is unreachable for a while: connections are refused.
            3 => {
                load.sim.go_offline().await;
                tokio::time::sleep(Duration::from_millis(rng.random_range(300..900))).await;
                load.sim
                    .go_online()
                    .await
                    .expect("the simulator listens again");
            }
            _ => {}
        }
    }
    load.finish_and_check().await;
}
on_both_backends!(every_acknowledged_message_is_answered_once_across_sigkills);

/// A throwaway PostgreSQL cluster of our own (trust auth, loopback, a free
/// port), so restarting it disturbs no other test. Stopped and removed on drop.
struct PrivatePostgres {
    bin: std::path::PathBuf,
    dir: std::path::PathBuf,
    port: u16,
}

impl PrivatePostgres {
    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        // initdb and postgres refuse to run as root.
        let status = if is_root() {
            std::process::Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .stdout(Stdio::null())
                .status()
        } else {
            std::process::Command::new(&program)
                .args(args)
                .stdout(Stdio::null())
                .status()
        };
        assert!(
            status.expect("run a PostgreSQL program").success(),
            "{} {args:?} failed",
            program.display()
        );
    }

    fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries are required (./scripts/test.sh installs them)")
            .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .max()
            .expect("an initdb under /usr/lib/postgresql/*/bin");
        let dir =
            std::env::temp_dir().join(format!("wabot-test-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let owned = std::process::Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(owned.success());
        }
        let postgres = Self {
            bin,
            dir,
            port: free_port(),
        };
        let data = postgres.data();
        postgres.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        );
        postgres.pg_ctl_start();
        postgres
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("pg.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
    }

    /// A fresh database on this cluster.
    async fn database(&self) -> String {
        use sqlx::Connection;
        let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        let mut connection = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect to the private cluster");
        sqlx::raw_sql("CREATE DATABASE wabot")
            .execute(&mut connection)
            .await
            .unwrap();
        format!("postgres://postgres@127.0.0.1:{}/wabot", self.port)
    }

    /// Stops the server (fast: sessions are cut), waits `down`, starts it.
    async fn restart(&self, down: Duration) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
        tokio::time::sleep(down).await;
        self.pg_ctl_start();
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_is_answered_once_across_postgres_restarts() {
    let postgres = PrivatePostgres::start();
    let load = OrderLoad::start(postgres.database().await).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(24112026);
    for restart in 0..POSTGRES_RESTARTS {
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..500))).await;
        load.assert_customers_are_ordering(&format!("PostgreSQL restart {restart}"));
        postgres
            .restart(Duration::from_millis(rng.random_range(200..800)))
            .await;
    }
    load.finish_and_check().await;
}
