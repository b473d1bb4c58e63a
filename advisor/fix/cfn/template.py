"""A CloudFormation / SAM template being patched: its resources read as plain values
(long-form intrinsics), and edits made through `TextDoc` (spliced, so untouched text
stays byte-identical).

Also answers the questions every generator asks: which resource a node came from
(`source_id`, SAM-generated ids such as `<Function><Event>`), who references a resource,
a free logical id derived from existing ones, and the role a function runs as.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.fix.emit import GetAtt, Ref
from advisor.fix.textdoc import TextDoc

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
_SUB_VAR = re.compile(r"\$\{([A-Za-z0-9_]+)(?:\.[A-Za-z0-9_.]+)?\}")


class Unpatchable(Exception):
    """The rewrite cannot be written into this template safely; the message says why."""


def plain(value: Any) -> Any:
    """A ruamel round-trip value as plain Python, short tags in their long form."""
    tag = getattr(getattr(value, "tag", None), "value", None)
    if isinstance(value, dict):
        out = {str(k): plain(v) for k, v in value.items()}
    elif isinstance(value, list):
        out = [plain(v) for v in value]  # type: ignore[assignment]
    elif hasattr(value, "value") and tag:  # TaggedScalar
        out = str(value.value)  # type: ignore[assignment]
    else:
        out = value
    if tag and tag.startswith("!") and not tag.startswith("!!"):
        name = tag[1:]
        if name == "Ref":
            return {"Ref": out}
        if name == "GetAtt":
            if isinstance(out, str):
                return {"Fn::GetAtt": out.split(".", 1)}
            return {"Fn::GetAtt": out}
        if name == "Condition":
            return {"Condition": out}
        return {f"Fn::{name}": out}
    return out


def refs(value: Any) -> set[str]:
    """Logical ids a plain value references (Ref, GetAtt, Sub variables, DependsOn)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if len(v) == 1:
                k, inner = next(iter(v.items()))
                if k == "Ref" and isinstance(inner, str):
                    found.add(inner)
                elif k == "Fn::GetAtt":
                    if isinstance(inner, list) and inner and isinstance(inner[0], str):
                        found.add(inner[0])
                    elif isinstance(inner, str):
                        found.add(inner.split(".", 1)[0])
                elif k == "Fn::Sub":
                    text = inner if isinstance(inner, str) else (
                        inner[0] if isinstance(inner, list) and inner else "")
                    if isinstance(text, str):
                        found.update(_SUB_VAR.findall(text))
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return found


def ref_target(value: Any) -> str | None:
    """The one logical id a value names (`!Ref X`, `!GetAtt X.Arn`, `${X.Arn}`), else None."""
    names = refs(value)
    return next(iter(names)) if len(names) == 1 else None


class Template:
    """One template file and the edits made to it."""

    def __init__(self, path: str, text: str, texts: dict[str, str] | None = None) -> None:
        self.path = path
        self.doc = TextDoc(text)
        self.texts = texts or {}  # contents to use instead of reading files
        self.extra: dict[str, TextDoc] = {}  # other files edited (a definition file)
        root = self.doc.root
        if not isinstance(root, dict) or not isinstance(root.get("Resources"), dict):
            raise Unpatchable("not a CloudFormation template (no Resources mapping)")
        self._plain = {str(k): plain(v) for k, v in root["Resources"].items()}
        transform = plain(root.get("Transform"))
        transforms = transform if isinstance(transform, list) else [transform]
        self.is_sam = SAM_TRANSFORM in transforms
        self.added: dict[str, dict[str, Any]] = {}  # new logical id -> resource
        self.removed: set[str] = set()

    # ------------------------------------------------------------------ reading
    @property
    def resources(self) -> dict[str, Any]:
        return self._plain

    def has(self, lid: str) -> bool:
        return lid in self._plain or lid in self.added

    def rtype(self, lid: str) -> str:
        res = self._plain.get(lid) or self.added.get(lid) or {}
        return str(res.get("Type", "")) if isinstance(res, dict) else ""

    def props(self, lid: str) -> dict[str, Any]:
        res = self._plain.get(lid) or self.added.get(lid) or {}
        p = res.get("Properties") if isinstance(res, dict) else None
        return p if isinstance(p, dict) else {}

    def of_type(self, *types: str) -> list[str]:
        return [lid for lid in self._plain if self.rtype(lid) in types]

    def globals(self, section: str) -> dict[str, Any]:
        g = plain(self.doc.root.get("Globals")) if isinstance(self.doc.root, dict) else None
        s = g.get(section) if isinstance(g, dict) else None
        return s if isinstance(s, dict) else {}

    def referrers(self, lid: str) -> list[str]:
        """Resources whose body names `lid` (outputs and conditions are not resources)."""
        return [other for other, res in self._plain.items()
                if other != lid and lid in refs(res)]

    def referenced_outside_resources(self, lid: str) -> list[str]:
        """Top-level sections other than Resources that name `lid` (Outputs, ...)."""
        root = self.doc.root
        found = []
        for section in ("Outputs", "Conditions", "Metadata", "Rules"):
            if isinstance(root, dict) and section in root and lid in refs(plain(root[section])):
                found.append(section)
        return found

    def unique_id(self, base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9]", "", base) or "Resource"
        name, i = base, 2
        while self.has(name) or self._sam_taken(name):
            name = f"{base}{i}"
            i += 1
        return name

    def _sam_taken(self, name: str) -> bool:
        return name in ("ServerlessRestApi", "ServerlessHttpApi")

    def sam_event(self, generated_id: str) -> tuple[str, str] | None:
        """(function or state machine id, event name) of a SAM-generated `<Fn><Event>` id."""
        for lid in self._plain:
            if not generated_id.startswith(lid) or generated_id == lid:
                continue
            events = self.props(lid).get("Events")
            if isinstance(events, dict) and generated_id[len(lid):] in events:
                return lid, generated_id[len(lid):]
        return None

    def prop_path(self, lid: str, *keys: Any) -> tuple[Any, ...]:
        return ("Resources", lid, "Properties", *keys)

    def function_role(self, fn: str) -> tuple[str | None, bool]:
        """(role logical id in this template or None, whether SAM generates the role)."""
        p = self.props(fn)
        role = p.get("Role")
        if role is None and self.rtype(fn) == "AWS::Serverless::Function":
            return None, True
        target = ref_target(role) if role is not None else None
        if target and self.rtype(target) == "AWS::IAM::Role":
            return target, False
        return None, False

    # ------------------------------------------------------------------ editing
    def set(self, lid: str, keys: tuple[Any, ...], value: Any) -> None:
        if lid in self.added:
            node: Any = self.added[lid].setdefault("Properties", {})
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = value
            return
        self.doc.set(self.prop_path(lid, *keys), value)

    def append(self, lid: str, keys: tuple[Any, ...], value: Any) -> None:
        self.doc.append(self.prop_path(lid, *keys), value)

    def add_resource(self, base: str, rtype: str, props: dict[str, Any] | None = None,
                     **extra: Any) -> str:
        lid = self.unique_id(base)
        body: dict[str, Any] = {"Type": rtype}
        body.update(extra)
        if props:
            body["Properties"] = props
        self.added[lid] = body
        self.doc.set(("Resources", lid), body)
        return lid

    def remove_resource(self, lid: str) -> None:
        if lid in self.removed or lid not in self._plain:
            return
        self.removed.add(lid)
        self.doc.delete(("Resources", lid))

    def render(self) -> str:
        return self.doc.render()

    def extra_doc(self, path: str) -> TextDoc:
        """Another file beside the template, opened for editing (YAML or JSON)."""
        import os

        key = os.path.normpath(path)
        if key not in self.extra:
            if key in self.texts:
                text = self.texts[key]
            else:
                from advisor.fix.targets import read

                if not os.path.isfile(key):
                    raise Unpatchable(f"{path} is not a file beside the template")
                text = read(key)
            from ruamel.yaml import YAMLError

            try:
                self.extra[key] = TextDoc(text)
            except YAMLError as exc:
                raise Unpatchable(f"{path} cannot be read for editing") from exc
        return self.extra[key]

    def snapshot(self) -> Any:
        import copy

        d = self.doc  # one deepcopy, so the added bodies stay the doc's pending values
        return (copy.deepcopy((d._splices, d._inserts, d._deleted, d._order, d.replaced,
                               d._top, self.added, self.removed)),
                {p: doc.snapshot() for p, doc in self.extra.items()})

    def restore(self, snap: Any) -> None:
        d = self.doc
        main, extra = snap
        (d._splices, d._inserts, d._deleted, d._order, d.replaced, d._top, self.added,
         self.removed) = main
        for p in list(self.extra):
            if p in extra:
                self.extra[p].restore(extra[p])
            else:
                del self.extra[p]

    # ------------------------------------------------------------------ IAM helpers
    def grant(self, principal_fn: str | None, role: str | None, base: str,
              statements: list[dict[str, Any]]) -> None:
        """Give a role these statements: a new AWS::IAM::Policy on a role of this template,
        or a SAM `Policies` statement on a function with a generated role."""
        if role is not None:
            self.add_resource(f"{base}Policy", "AWS::IAM::Policy", {
                "PolicyName": f"{base}Policy",
                "Roles": [Ref(role)],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
            })
            return
        if principal_fn is not None and self.rtype(principal_fn) == "AWS::Serverless::Function":
            policies = self.props(principal_fn).get("Policies")
            item = {"Statement": statements}
            if policies is None:
                self.set(principal_fn, ("Policies",), [item])
            elif isinstance(policies, list):
                self.append(principal_fn, ("Policies",), item)
            else:  # a single policy (a name or a document): keep it, add ours beside it
                self.set(principal_fn, ("Policies",), [policies, item])
            return
        raise Unpatchable("the role it runs as is not declared in this template")


def queue_policy(tpl: Template, queue: str, service: str, source_arn: Any) -> None:
    """Allow an AWS service to send to a new queue, only on behalf of `source_arn`."""
    tpl.add_resource(f"{queue}Policy", "AWS::SQS::QueuePolicy", {
        "Queues": [Ref(queue)],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sqs:SendMessage",
            "Resource": GetAtt(queue, "Arn"),
            "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
        }]},
    })


def send_statement(queue: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": GetAtt(queue, "Arn")}
