//! `ferry keygen`: a minisign key pair for signing bundles.

use crate::bundle::sign;
use crate::cli::args::KeygenArgs;
use crate::cli::output::outln;
use crate::cli::settings::new_key_password;
use anyhow::Result;

/// Writes PREFIX.key and PREFIX.pub.
pub fn run(args: &KeygenArgs) -> Result<()> {
    let password = new_key_password(args.unencrypted)?;
    let files = sign::generate_keypair(&args.output, password.as_deref(), args.force)?;
    outln!("secret key: {}", files.secret.display())?;
    outln!(
        "public key: {}  (key id {})",
        files.public.display(),
        files.key_id
    )?;
    if password.is_none() {
        outln!("the secret key is NOT encrypted: keep it in a secrets store")?;
    }
    outln!(
        "give {} to the operators who verify your bundles",
        files.public.display()
    )?;
    Ok(())
}
