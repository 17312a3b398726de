import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts import keys

PRIVATE_FILE = "jwt-private.pem"
PUBLIC_FILE = "jwt-public.pem"


class Command(BaseCommand):
    help = (
        "Generate a key pair for signing access tokens with an asymmetric JWT_ALGORITHM. "
        f"Prints both PEMs, or with --out DIR writes DIR/{PRIVATE_FILE} (mode 0600) and "
        f"DIR/{PUBLIC_FILE}; never overwrites. Examples: `jwtkeys ES256`, `jwtkeys EdDSA --out /etc/authsite`."
    )

    def add_arguments(self, parser):
        parser.add_argument("algorithm", choices=keys.ASYMMETRIC_ALGORITHMS)
        parser.add_argument("--out", metavar="DIR", help="write the PEM files into DIR")

    def handle(self, algorithm, out, **options):
        private_key = keys.generate_private_key(algorithm)
        private_pem = keys.private_pem(private_key)
        public_pem = keys.public_pem(private_key)
        kid = keys.key_id(private_key.public_key(), algorithm)
        if out is None:
            self.stdout.write(private_pem + public_pem, ending="")
            self.stderr.write(f"kid {kid}. Keep the private key secret: set JWT_PRIVATE_KEY to it.")
            return
        directory = Path(out)
        private_path, public_path = directory / PRIVATE_FILE, directory / PUBLIC_FILE
        for path in (private_path, public_path):
            if path.exists():
                raise CommandError(f"{path} exists; not overwriting it.")
        try:
            fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as private_file:
                private_file.write(private_pem)
            public_path.write_text(public_pem)
        except OSError as exc:
            raise CommandError(f"Cannot write the key files: {exc}") from None
        self.stdout.write(
            f"Wrote {private_path} and {public_path} (kid {kid}).\n"
            f"Set JWT_ALGORITHM={algorithm} and JWT_PRIVATE_KEY={private_path}; when you rotate, "
            f"add the old {PUBLIC_FILE} to JWT_PREVIOUS_PUBLIC_KEYS."
        )
