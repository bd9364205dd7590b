"""The sandbox in its own process for benchmarks, so its CPU and memory never mix with the client's.

``with SandboxProcess(SandboxSpec(scale=...)) as sb:`` starts a spawned child that builds the world (topping the
GitHub releases up to ``spec.releases``), serves every service, and hands back what a client needs: URLs,
credentials, the pmhub.toml and its environment. The parent reads the sandbox's request counters
(``/_sandbox/stats``), GitHub rate-limit use, and the child's CPU time and peak RSS from ``/proc``.
``make_tls`` writes a throw-away CA and a 127.0.0.1/localhost certificate for the HTTPS mode.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import multiprocessing as mp
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from sandbox.world import GitHubRelease, Scale, World, build_world

SEED = 7


@dataclass(frozen=True)
class SandboxSpec:
    scale: Scale = field(default_factory=Scale)
    releases: int = 0  # total GitHub releases wanted across repos; 0 = what the world makes
    tls_dir: Path | None = None  # serve HTTPS with the certificate ``make_tls`` wrote here


@dataclass(frozen=True)
class ProcStats:
    cpu_seconds: float
    rss_mb: float
    peak_rss_mb: float


def make_tls(folder: Path) -> Path:
    """Write ``ca.pem``, ``cert.pem`` (leaf + CA) and ``key.pem`` into ``folder``; return the CA path to trust."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    ca_path = folder / "ca.pem"
    if ca_path.exists():
        return ca_path
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pmhub bench CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (folder / "cert.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    ca_path.write_bytes(ca.public_bytes(pem))
    return ca_path


def top_up_releases(world: World, total: int) -> None:
    """Add older published patch releases (with their tags), round-robin over the repos, until there are ``total``."""
    repos = list(world.repos.values())
    have = sum(len(r.releases) for r in repos)
    for n in range(max(0, total - have)):
        repo = repos[n % len(repos)]
        published = world.now - dt.timedelta(days=400 + 7 * n)
        tag = f"v0.{n // 10}.{n % 10}"
        repo.branches[tag] = hashlib.sha256(f"{repo.full_name}@{tag}".encode()).hexdigest()[:40]
        repo.releases.append(
            GitHubRelease(
                id=world.new_id(),
                tag_name=tag,
                name=f"0.{n // 10}.{n % 10}",
                body=f"## 0.{n // 10}.{n % 10}\n\n- Bug fixes",
                draft=False,
                prerelease=False,
                target_commitish="main",
                created=published - dt.timedelta(hours=3),
                published_at=published,
            )
        )


def _serve(spec: SandboxSpec, conn: Connection) -> None:
    from sandbox.runner import Sandbox, SandboxOptions, TlsFiles

    world = build_world(SEED, spec.scale)
    if spec.releases:
        top_up_releases(world, spec.releases)
    tls = TlsFiles(spec.tls_dir / "cert.pem", spec.tls_dir / "key.pem") if spec.tls_dir else None
    with Sandbox(SandboxOptions(seed=SEED, scale=spec.scale, tls=tls), world=world) as sb:
        conn.send(
            {
                "info": sb.ready_info(),
                "config": sb.config_toml("sqlite:///{store}"),
                "environment": sb.environment(),
                "releases": sum(len(r.releases) for r in world.repos.values()),
            }
        )
        conn.recv()  # anything (or EOF) means stop


def _proc_stats(pid: int) -> ProcStats:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    kb = {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in status.splitlines()) if "kB" in v}
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return ProcStats(
        cpu_seconds=(int(fields[11]) + int(fields[12])) / ticks,
        rss_mb=kb["VmRSS"] / 1024,
        peak_rss_mb=kb["VmHWM"] / 1024,
    )


class SandboxProcess:
    def __init__(self, spec: SandboxSpec) -> None:
        self.spec = spec
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(spec, child), daemon=True)
        self._child = child
        self.ready: dict[str, Any] = {}

    def __enter__(self) -> SandboxProcess:
        if self.spec.tls_dir is not None:
            make_tls(self.spec.tls_dir)
        self._proc.start()
        self._child.close()
        if not self._conn.poll(600):
            raise RuntimeError("sandbox process did not become ready in 10 minutes")
        self.ready = self._conn.recv()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with contextlib.suppress(OSError):
            self._conn.send("stop")
        self._proc.join(timeout=30)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()

    @property
    def urls(self) -> dict[str, str]:
        urls: dict[str, str] = self.ready["info"]["urls"]
        return urls

    @property
    def credentials(self) -> dict[str, dict[str, str]]:
        creds: dict[str, dict[str, str]] = self.ready["info"]["credentials"]
        return creds

    @property
    def environment(self) -> dict[str, str]:
        env: dict[str, str] = self.ready["environment"]
        return env

    @property
    def products(self) -> list[dict[str, str]]:
        products: list[dict[str, str]] = self.ready["info"]["products"]
        return products

    @property
    def ca_bundle(self) -> Path | None:
        return self.spec.tls_dir / "ca.pem" if self.spec.tls_dir else None

    def config_toml(self, store_path: Path, sources: tuple[str, ...] = ("jira", "github")) -> str:
        """The sandbox's pmhub.toml with only ``sources`` kept (products stay)."""
        text: str = self.ready["config"].replace("{store}", str(store_path))
        blocks = text.split("\n\n")
        kept = [
            b
            for b in blocks
            if not b.lstrip().startswith(("[sources.", "[[sources."))
            or b.lstrip().split("]")[0].strip("[").split(".")[1] in sources
        ]
        return "\n\n".join(kept)

    def proc(self) -> ProcStats:
        pid = self._proc.pid
        assert pid is not None
        return _proc_stats(pid)

    def session(self) -> requests.Session:
        """A session that trusts the sandbox's CA (and no CA bundle named by the environment)."""
        session = requests.Session()
        session.trust_env = False
        if self.ca_bundle is not None:
            session.verify = str(self.ca_bundle)
        return session

    def reset_counters(self) -> None:
        """Zero the request counters of Jira and GitHub and give every GitHub token a fresh rate-limit budget."""
        with self.session() as s:
            for app in ("jira", "github"):
                s.delete(f"{self.urls[app]}/_sandbox/stats", timeout=30).raise_for_status()
            s.post(f"{self.urls['github']}/_sandbox/rate-limit/reset", timeout=30).raise_for_status()

    def counters(self) -> dict[str, Any]:
        """Requests per app and route since the last reset, and GitHub rate-limit points used (core + graphql)."""
        with self.session() as s:
            stats = {app: s.get(f"{self.urls[app]}/_sandbox/stats", timeout=30).json() for app in ("jira", "github")}
            token = self.credentials["github"]["token"]
            limits = s.get(
                f"{self.urls['github']}/rate_limit", headers={"Authorization": f"token {token}"}, timeout=30
            ).json()["resources"]
        return {
            "jira_requests": stats["jira"]["total"],
            "github_requests": stats["github"]["total"],  # read before the /rate_limit request below
            "jira_routes": stats["jira"]["by_route"],
            "github_routes": stats["github"]["by_route"],
            "github_points": limits["core"]["used"] + limits["graphql"]["used"],
        }


def merged_env(extra: Mapping[str, str], ca_bundle: Path | None) -> dict[str, str]:
    """The current environment plus ``extra``, trusting ``ca_bundle`` for ``requests`` and ``ssl`` when given."""
    env = {**os.environ, **extra}
    if ca_bundle is not None:
        env.update(REQUESTS_CA_BUNDLE=str(ca_bundle), SSL_CERT_FILE=str(ca_bundle), CURL_CA_BUNDLE=str(ca_bundle))
    return env
