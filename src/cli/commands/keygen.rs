//! `ferry keygen`: a minisign key pair for signing bundles.

use crate::bundle::sign;
use crate::cli::args::KeygenArgs;
use crate::cli::settings::new_key_password;
use anyhow::Result;

/// Writes PREFIX.key and PREFIX.pub.
pub fn run(args: &KeygenArgs) -> Result<()> {
    let password = new_key_password(args.unencrypted)?;
    let files = sign::generate_keypair(&args.output, password.as_deref(), args.force)?;
    println!("secret key: {}", files.secret.display());
    println!(
        "public key: {}  (key id {})",
        files.public.display(),
        files.key_id
    );
    if password.is_none() {
        println!("the secret key is NOT encrypted: keep it in a secrets store");
    }
    println!(
        "give {} to the operators who verify your bundles",
        files.public.display()
    );
    Ok(())
}
