use clap::Parser;
use egov_server::config::{Command, Config};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    egov_server::telemetry::init_logging(&config);
    let done = match &config.command {
        Some(Command::Clients(command)) => {
            egov_server::admin::clients(&config, command, &mut std::io::stdout().lock()).await
        }
        None => egov_server::run(config).await,
    };
    match done {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "egov-server stopped");
            eprintln!("egov-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
