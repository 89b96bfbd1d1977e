use clap::Parser;
use egov_server::config::Config;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    egov_server::telemetry::init_logging(&config);
    match egov_server::run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "egov-server stopped");
            eprintln!("egov-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
