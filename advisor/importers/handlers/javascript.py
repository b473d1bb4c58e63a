"""JavaScript / TypeScript handlers: comments dropped by a small tokenizer, then regular
expressions over the code (never run)."""

from __future__ import annotations

import re

from advisor.importers.handlers.verdict import HandlerReport, SdkCall
from advisor.importers.handlers.verdict import data as handler_data


def strip_js_comments(text: str) -> str:
    """Remove // and /* */ comments, keeping strings and line numbers intact."""
    out: list[str] = []
    i, n = 0, len(text)
    quote: str | None = None
    while i < n:
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "'\"`":
            quote = ch
            out.append(ch)
            i += 1
            continue
        if ch == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            chunk = text[i: n if j < 0 else j + 2]
            out.append("\n" * chunk.count("\n"))
            i = n if j < 0 else j + 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_V3_IMPORT = re.compile(
    r"(?:import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*|(?:const|let|var)\s*\{([^}]*)\}\s*=\s*"
    r"(?:await\s+import|require)\s*\(\s*)['\"]@aws-sdk/(client-|lib-)?([a-z0-9-]+)['\"]"
)
_V2_NEW = re.compile(
    r"(?:(?:const|let|var)\s+|this\.)?([A-Za-z_$][\w$]*)\s*(?::\s*[\w.<>]+\s*)?=\s*new\s+"
    r"(?:AWS|aws|AWSSDK|sdk)\.([A-Za-z]+)(?:\.(DocumentClient))?\s*\("
)
_V2_CLIENT_REQUIRE = re.compile(
    r"(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*require\(\s*['\"]aws-sdk/clients/([a-z0-9]+)['\"]"
)
_NEW_CLASS = re.compile(
    r"(?:(?:const|let|var)\s+|this\.)?([A-Za-z_$][\w$]*)\s*(?::\s*[\w.<>]+\s*)?=\s*"
    r"(?:new\s+([A-Z][\w$]*)\s*\(|([A-Z][\w$]*)\.from\s*\()"
)
_COMMAND = re.compile(r"\bnew\s+([A-Z][A-Za-z0-9]*?)Command\s*\(")


def inspect_js(text: str) -> tuple[HandlerReport, int]:
    code = strip_js_comments(text)
    data = handler_data()
    non_api = set(data["non_api_methods"])
    class_service: dict[str, str] = {}  # imported v3 name -> package service
    for m in _V3_IMPORT.finditer(code):
        names = m.group(1) or m.group(2) or ""
        service = m.group(4)
        if m.group(3) == "lib-" and service == "dynamodb":
            service = "dynamodb"
        for raw in names.split(","):
            name = raw.strip().split(" as ")[-1].split(":")[-1].strip()
            if name:
                class_service[name] = service
    clients: dict[str, str] = {}
    for m in _V2_NEW.finditer(code):
        clients[m.group(1)] = "dynamodb" if m.group(3) else m.group(2).lower()
    for m in _V2_CLIENT_REQUIRE.finditer(code):
        class_service[m.group(1)] = m.group(2)
    for m in _NEW_CLASS.finditer(code):
        cls = m.group(2) or m.group(3)
        if cls in class_service and not cls.endswith("Command"):
            clients[m.group(1)] = class_service[cls]
    calls: list[SdkCall] = []

    def line_at(pos: int) -> int:
        return code.count("\n", 0, pos) + 1

    for m in _COMMAND.finditer(code):
        name = m.group(1)
        service = class_service.get(f"{name}Command") or data["command_services"].get(name)
        if service is None:
            continue
        calls.append(SdkCall(line_at(m.start()), service, name))
    for var, service in clients.items():
        pattern = re.compile(r"(?<![\w$.])(?:this\.)?" + re.escape(var) + r"\s*\.\s*([A-Za-z_$][\w$]*)\s*\(")
        for m in pattern.finditer(code):
            method = m.group(1)
            if method in non_api:
                continue
            calls.append(SdkCall(line_at(m.start()), service, method))
    http = 0
    for name in data["http_js"]:
        http += len(re.findall(r"(?<![\w$.])" + re.escape(name) + r"\s*[.(]", code))
    if re.search(r"\bSignatureV4\b", code):
        http += 1
    decisions = len(re.findall(r"\b(?:if|for|while|switch)\s*\(", code))
    decisions += len(re.findall(r"\bcase\b[^:]*:", code))
    functions = len(re.findall(r"\bfunction\b", code)) + len(re.findall(r"=>", code))
    report = HandlerReport("javascript", "unknown", calls=sorted(set(calls)), http_calls=http,
                           decisions=decisions)
    # Arrow callbacks (`.map(r => ...)`) are not separate functions of logic; count named ones.
    named = len(re.findall(r"\bfunction\s+\w+|(?:const|let|var)\s+\w+\s*=\s*(?:async\s*)?"
                           r"(?:\([^)]*\)|\w+)\s*=>", code))
    return report, min(functions, named + 1)


