"""A tiny stand-in for the Hugging Face Hub on 127.0.0.1, for tests of the real download/upload code.

It speaks just the endpoints ``huggingface_hub`` 2.4 calls for what xdomain does:

Downloads (``hf_hub_download`` / ``snapshot_download``)
    ``HEAD|GET /{repo_id}/resolve/{revision}/{filename}`` → body + ``X-Repo-Commit``,
    ``ETag: "<sha256>"``, ``Content-Length``; a missing file is a 404 with
    ``X-Error-Code: EntryNotFound`` (and the commit, so the client caches the absence).
    ``GET /api/models/{repo_id}[/revision/{revision}]`` → ``{"id", "sha", "siblings": [...]}``.
    ``GET /api/models/{repo_id}/tree/{revision}[/{path}]`` → ``[{"type", "path", "size", "oid"}]``.

Uploads (``HfApi.create_repo`` + ``HfApi.upload_folder``, regular non-LFS files only)
    ``POST /api/repos/create``                        → ``{"url"}``; 409 if it exists.
    ``POST /api/validate-yaml``                       → ``{"errors": [], "warnings": []}`` (README front matter).
    ``POST /api/models/{repo_id}/preupload/{revision}`` → every file ``uploadMode: "regular"``.
    ``POST /api/models/{repo_id}/commit/{revision}``  → ndjson header + base64 ``file`` lines;
    returns ``{"commitUrl", "commitOid"}``.
Writes need an ``Authorization: Bearer`` header, as on the real Hub.

No ``X-Xet-Hash`` header is ever sent, so clients fall back to plain HTTP. Every request is logged
in :attr:`FakeHub.requests` so tests can assert what the client did.
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


@dataclass
class Repo:
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)  # sha → {path: content}
    refs: dict[str, str] = field(default_factory=dict)  # branch → sha

    def resolve(self, revision: str) -> str | None:
        return self.refs.get(revision) or (revision if revision in self.commits else None)


class FakeHub:
    """In-memory Hub: ``with FakeHub() as hub: hub.add_files("org/x", {...}); hub.url``."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ test-side API
    def add_files(self, repo_id: str, files: dict[str, bytes], revision: str = "main",
                  message: str = "test commit") -> str:
        """Commit ``files`` on top of ``revision`` (creating the repo); returns the new commit sha."""
        with self._lock:
            repo = self.repos.setdefault(repo_id, Repo())
            return self._commit(repo, revision, files, [], message)

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        repo = self.repos[repo_id]
        return dict(repo.commits[repo.resolve(revision)])

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeHub":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> "FakeHub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _commit(repo: Repo, revision: str, added: dict[str, bytes], deleted: list[str], message: str) -> str:
        parent = repo.resolve(revision)
        tree = dict(repo.commits[parent]) if parent else {}
        tree.update(added)
        for path in deleted:
            tree.pop(path, None)
        h = hashlib.sha1(f"{parent}:{message}:{len(repo.commits)}".encode())
        for path in sorted(tree):
            h.update(path.encode() + b"\0" + hashlib.sha256(tree[path]).digest())
        sha = h.hexdigest()
        repo.commits[sha] = tree
        repo.refs[revision] = sha
        return sha


def _make_handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeHub/1.0"

        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

        # ---------------------------------------------------------- replies
        def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
                   send_body: bool = True) -> None:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and body:
                self.wfile.write(body)

        def _json(self, status: int, obj, headers: dict[str, str] | None = None) -> None:
            self._reply(status, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})})

        def _error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   send_body: bool = True) -> None:
            h = {"X-Error-Code": code, "X-Error-Message": message, "Content-Type": "application/json", **(headers or {})}
            self._reply(status, json.dumps({"error": message}).encode(), h, send_body)

        def _body(self) -> bytes:
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _repo(self, repo_id: str, send_body: bool = True) -> Repo | None:
            repo = hub.repos.get(repo_id)
            if repo is None:
                self._error(404, "RepoNotFound", f"Repository {repo_id} not found", send_body=send_body)
            return repo

        def _authorised(self) -> bool:
            if not (self.headers.get("Authorization") or "").startswith("Bearer "):
                self._error(401, "Unauthorized", "Invalid credentials: a write token is required")
                return False
            return True

        # ---------------------------------------------------------- routing
        def _route(self, method: str) -> None:
            path = urlsplit(self.path).path
            hub.requests.append((method, path))
            parts = [unquote(p) for p in path.strip("/").split("/")]
            if method in ("GET", "HEAD") and len(parts) >= 5 and parts[2] == "resolve":
                return self._resolve(f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]), method == "GET")
            if parts[:2] == ["api", "models"] and len(parts) >= 4:
                repo_id, rest = f"{parts[2]}/{parts[3]}", parts[4:]
                if method == "GET" and (not rest or rest[0] == "revision"):
                    return self._info(repo_id, rest[1] if len(rest) > 1 else "main")
                if method == "GET" and rest[0] == "tree" and len(rest) >= 2:
                    return self._tree(repo_id, rest[1], "/".join(rest[2:]))
                if method == "POST" and rest and rest[0] == "preupload":
                    return self._preupload(repo_id)
                if method == "POST" and len(rest) >= 2 and rest[0] == "commit":
                    return self._commit(repo_id, "/".join(rest[1:]))
            if method == "POST" and parts == ["api", "repos", "create"]:
                return self._create()
            if method == "POST" and parts == ["api", "validate-yaml"]:
                self._body()
                return self._json(200, {"errors": [], "warnings": []})
            self._error(404, "NotFound", f"FakeHub does not implement {method} {path}")

        def do_HEAD(self) -> None:
            self._route("HEAD")

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        # ---------------------------------------------------------- endpoints
        def _resolve(self, repo_id: str, revision: str, filename: str, send_body: bool) -> None:
            found = self._tree_at(repo_id, revision, send_body)
            if not found:
                return
            sha, data = found[0], found[1].get(filename)
            if data is None:
                return self._error(404, "EntryNotFound", f"{filename} does not exist on {revision}",
                                   {"X-Repo-Commit": sha}, send_body)
            headers = {"X-Repo-Commit": sha, "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                       "Content-Type": "application/octet-stream"}
            self._reply(200, data, headers, send_body)

        def _tree_at(self, repo_id: str, revision: str, send_body: bool = True) -> tuple[str, dict[str, bytes]] | None:
            """(commit sha, files) of ``revision``, or None after replying 404."""
            with hub._lock:
                repo = self._repo(repo_id, send_body)
                if repo is None:
                    return None
                sha = repo.resolve(revision)
                if sha is None:
                    self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", send_body=send_body)
                    return None
                return sha, dict(repo.commits[sha])

        def _info(self, repo_id: str, revision: str) -> None:
            found = self._tree_at(repo_id, revision)
            if found:
                sha, tree = found
                self._json(200, {"id": repo_id, "modelId": repo_id, "sha": sha, "private": False,
                                 "siblings": [{"rfilename": n} for n in sorted(tree)]})

        def _tree(self, repo_id: str, revision: str, prefix: str) -> None:
            found = self._tree_at(repo_id, revision)
            if found:
                inside = prefix.rstrip("/") + "/"
                self._json(200, [{"type": "file", "path": p, "size": len(b), "oid": hashlib.sha1(b).hexdigest()}
                                 for p, b in sorted(found[1].items()) if not prefix or p.startswith(inside)])

        def _create(self) -> None:
            payload = json.loads(self._body() or b"{}")
            if not self._authorised():
                return
            repo_id = f"{payload.get('organization') or 'user'}/{payload['name']}"
            with hub._lock:
                if repo_id in hub.repos:  # the real Hub's 409 also carries the url (create_repo reads it)
                    return self._json(409, {"error": "You already created this model repo", "url": f"{hub.url}/{repo_id}"},
                                      {"X-Error-Message": "You already created this model repo"})
                repo = hub.repos[repo_id] = Repo()
                FakeHub._commit(repo, "main", {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"},
                                [], "initial commit")
            self._json(200, {"url": f"{hub.url}/{repo_id}", "name": repo_id})

        def _preupload(self, repo_id: str) -> None:
            payload = json.loads(self._body() or b"{}")
            if not self._authorised() or self._repo(repo_id) is None:
                return
            self._json(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None}
                                       for f in payload.get("files", [])]})

        def _commit(self, repo_id: str, revision: str) -> None:
            lines = [json.loads(x) for x in self._body().splitlines() if x.strip()]
            if not self._authorised():
                return
            added: dict[str, bytes] = {}
            deleted: list[str] = []
            message = ""
            for item in lines:
                key, value = item["key"], item["value"]
                if key == "header":
                    message = value.get("summary", "")
                elif key == "file":
                    added[value["path"]] = base64.b64decode(value["content"])
                elif key == "deletedFile":
                    deleted.append(value["path"])
                else:
                    return self._error(400, "BadRequest", f"FakeHub does not support {key!r} commit operations")
            with hub._lock:
                repo = self._repo(repo_id)
                if repo is None:
                    return
                sha = FakeHub._commit(repo, revision, added, deleted, message)
            self._json(200, {"success": True, "commitOid": sha, "commitUrl": f"{hub.url}/{repo_id}/commit/{sha}"})

    return Handler
