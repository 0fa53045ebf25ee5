"""The YAML language server from npm (as VS Code and Neovim run it), driven over stdio.

`install` puts `yaml-language-server` in a folder under .venv once (npm, the network the first
time); `YamlServer` starts it and speaks LSP's JSON-RPC to it: open a file, read what it flags,
ask what it completes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

VERSION = "2.0.0"  # what the issue measured; it asks for Node 22 but runs on 20
CACHE = Path(__file__).resolve().parent.parent / ".venv" / "yaml-language-server"


def install() -> Path | str:
    """The server's command, installed if need be; a reason it cannot be, as a string."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "Node and npm are not installed (sudo apt-get install nodejs npm)"
    server = CACHE / VERSION / "node_modules" / ".bin" / "yaml-language-server"
    if server.exists():
        return server
    folder = server.parent.parent.parent
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--loglevel=error",
                           f"yaml-language-server@{VERSION}"], capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not server.exists():
        return f"npm could not install yaml-language-server {VERSION}: {done.stderr.strip()[-300:]}"
    return server


class YamlServer:
    """One yaml-language-server process; `settings` are the editor's `yaml.*` settings."""

    def __init__(self, command: Path, root: Path, settings: dict[str, Any]) -> None:
        self.settings = {"validate": True, "completion": True, "hover": True, **settings}
        self._proc = subprocess.Popen([str(command), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, cwd=root, env={**os.environ, "NO_COLOR": "1"})
        self._ids = 0
        self._replies: dict[int, Any] = {}
        self._diagnostics: dict[str, list[dict[str, Any]]] = {}
        self._arrived = threading.Condition()
        assert self._proc.stdout is not None
        threading.Thread(target=self._read, args=(self._proc.stdout,), daemon=True).start()
        self.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(), "workspaceFolders": None,
            "capabilities": {"textDocument": {
                "completion": {"completionItem": {"snippetSupport": True, "documentationFormat": ["markdown"]}},
                "publishDiagnostics": {}},
                "workspace": {"configuration": True}}})
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"yaml": self.settings}})

    # -- what a test asks -------------------------------------------------------

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        with self._arrived:
            self._diagnostics.pop(uri, None)
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                               "text": text}})
        return uri

    def diagnostics(self, uri: str, timeout_s: float = 60.0) -> list[dict[str, Any]]:
        """What the server flags in the file: the first report after it was opened."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: uri in self._diagnostics, timeout_s):
                raise AssertionError("the language server reported nothing")
            return self._diagnostics[uri]

    def complete(self, uri: str, line: int, character: int) -> list[dict[str, Any]]:
        reply = self.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                         "position": {"line": line, "character": character}})
        items: list[dict[str, Any]] = reply["items"] if isinstance(reply, dict) else reply or []
        return items

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout_s=10)
            self.notify("exit", None)
            self._proc.wait(timeout=10)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            self._proc.kill()
            self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                pipe.close()

    # -- JSON-RPC -----------------------------------------------------------------

    def request(self, method: str, params: Any, timeout_s: float = 60.0) -> Any:
        self._ids += 1
        ident = self._ids
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        deadline = time.monotonic() + timeout_s
        with self._arrived:
            if not self._arrived.wait_for(lambda: ident in self._replies, max(0.0, deadline - time.monotonic())):
                raise AssertionError(f"the language server did not answer {method}")
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self._proc.stdin is not None
        self._proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self._proc.stdin.flush()

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:  # the server asks: settings, or leave to register
                result = ([self.settings if item.get("section") == "yaml" else None
                           for item in message["params"]["items"]]
                          if message["method"] == "workspace/configuration" else None)
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            elif message.get("method") == "textDocument/publishDiagnostics":
                with self._arrived:
                    self._diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
                    self._arrived.notify_all()
            elif "id" in message:
                with self._arrived:
                    self._replies[message["id"]] = message
                    self._arrived.notify_all()
