//! `wabot demo`: a complete order on a fresh machine. Starts the server on a
//! new SQLite database with an in-process WAHA simulator, sets up a
//! restaurant through the operator API, plays a customer who browses,
//! orders two items, gives an address and confirms, moves the order to
//! delivered, and prints the conversation and the stored order.

use anyhow::Context;
use waha_sim::{Simulator, SimulatorConfig};

use crate::app::{App, shutdown_signal};
use crate::config::{Secret, Settings};
use crate::secret_box::new_key_list;
use crate::telemetry;
use waha_sim::driver::{Driver, set_up_restaurant};

const SESSION: &str = "luigis";
const CUSTOMER: &str = "15550100001@c.us";
const CUSTOMER_LINES: &[&str] = &[
    "hi",
    "menu",
    "2x 1",
    "6",
    "cart",
    "checkout",
    "221B Baker Street, London",
    "yes",
];

/// Runs the demo; with `keep_serving`, leaves everything running until Ctrl-C.
pub async fn run(mut settings: Settings, keep_serving: bool) -> anyhow::Result<()> {
    if settings.log.level == "info" {
        settings.log.level = "warn".to_owned();
    }
    telemetry::init(&settings.log);
    let database =
        std::env::temp_dir().join(format!("wabot-demo-{}.db", uuid::Uuid::new_v4().simple()));
    settings.database.url = format!("sqlite://{}", database.display());
    if !keep_serving {
        settings.server.listen.set_port(0);
    }
    settings.waha.typing_ms_per_char = 0;
    if settings.secrets.keys.is_none() {
        // The demo's database is thrown away: so is its key.
        settings.secrets.keys = Some(Secret::new(new_key_list("demo")));
    }
    if settings.operator.token.is_none() {
        settings.operator.token = Some(Secret::new(uuid::Uuid::new_v4().simple().to_string()));
    }

    let sim = Simulator::start(SimulatorConfig::fast()).await?;
    let app = App::build(settings).await?;
    let server_url = format!("http://{}", app.address());
    let driver = Driver::new(&server_url, app.operator_token());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));

    let shop = set_up_restaurant(&driver, &sim, SESSION, "demo-webhook-secret-0123456789").await?;
    let tenant_id = shop.tenant_id;

    println!("wabot demo: Luigi's Trattoria on a simulated WhatsApp");
    println!("database: {}", database.display());
    println!("────────────────────────────────────────────────────────────");
    let mut replies = 0;
    for line in CUSTOMER_LINES {
        println!("\n👤 customer: {line}");
        replies += 1;
        let reply = driver
            .customer_says(&sim, SESSION, CUSTOMER, line, replies)
            .await?;
        println!("🤖 bot:\n{}", indent(&reply));
    }

    let orders = driver.orders(&tenant_id).await?;
    let order_id = orders[0]["id"].as_str().context("order id")?.to_owned();
    println!("\n──── the restaurant moves the order along ────");
    for status in ["confirmed", "preparing", "out_for_delivery", "delivered"] {
        driver
            .set_order_status(&tenant_id, &order_id, status)
            .await?;
        replies += 1;
        let notice = driver.wait_for_reply(&sim, CUSTOMER, replies).await?;
        println!("\n🏪 status → {status}\n🤖 bot:\n{}", indent(&notice));
    }

    let stored = driver.orders(&tenant_id).await?;
    println!(
        "\n──── stored order ────\n{}",
        serde_json::to_string_pretty(&stored[0])?
    );
    println!("\ndemo finished: 1 order placed and delivered; the bot sent {replies} messages.");

    if keep_serving {
        println!("\nStill running (Ctrl-C to stop):");
        println!("  server      {server_url}   (metrics: {server_url}/metrics)");
        println!(
            "  operator    curl -H 'Authorization: Bearer {}' {server_url}/v1/operator/tenants/{tenant_id}/orders",
            driver.token()
        );
        println!(
            "  simulator   {} (X-Api-Key: {})",
            sim.base_url(),
            sim.api_key()
        );
        println!(
            "  a customer  curl -X POST -H 'X-Api-Key: {}' -H 'Content-Type: application/json' -d '{{\"from\":\"15550100002\",\"body\":\"menu\"}}' {}/sim/sessions/{SESSION}/messages",
            sim.api_key(),
            sim.base_url()
        );
        println!(
            "  replies     curl -H 'X-Api-Key: {}' {}/sim/sent",
            sim.api_key(),
            sim.base_url()
        );
        shutdown_signal().await;
    }
    let _ = stop.send(());
    server.await.context("server task")??;
    sim.stop().await;
    if !keep_serving {
        remove_database(&database);
    }
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("   {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Deletes the demo's throwaway database and its WAL files.
fn remove_database(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}
