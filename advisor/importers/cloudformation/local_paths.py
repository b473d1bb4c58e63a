"""`missing_path` on functions, state machines and APIs whose local `CodeUri`,
`DefinitionUri`, packaged `Code` or `AWS::Include` file of a definition a build would not
find (`advisor.importers.local_paths`), with `prop_locs` at the property, where the fix
goes."""

from __future__ import annotations

from advisor.importers.cloudformation.context import Ctx
from advisor.importers.local_paths import local_path_problem
from advisor.model import Location

# resource type -> (property, must be a regular file)
LOCAL_PATHS = {
    "AWS::Serverless::Function": ("CodeUri", False),
    "AWS::Serverless::StateMachine": ("DefinitionUri", True),
    "AWS::Serverless::Api": ("DefinitionUri", True),
    "AWS::Serverless::HttpApi": ("DefinitionUri", True),
    "AWS::Lambda::Function": ("Code", False),  # `aws cloudformation package` form
}


def check_local_paths(ctx: Ctx) -> None:
    if ctx.path.startswith("<"):
        return  # pasted text: there is no folder beside it
    for lid, node in sorted(ctx.names.items()):
        rtype = ctx.rtype(lid)
        spec = LOCAL_PATHS.get(rtype)
        if spec is not None:
            prop, want_file = spec
            value = ctx.props_of(lid).get(prop)
            uri = ctx.scalar(value) if not isinstance(value, dict) else None
            if isinstance(uri, str) and uri and not uri.startswith("s3://"):
                _judge(ctx, lid, node, prop, prop, uri, want_file)
        for prop in INCLUDE_PROPS.get(rtype, ()):  # `AWS::Include` files of a definition
            uri = include_location(ctx, ctx.props_of(lid).get(prop))
            if uri is not None and not uri.startswith("s3://"):
                _judge(ctx, lid, node, prop, f"{prop} AWS::Include", uri, True)


# resource type -> properties that may hold an `AWS::Include` of a definition file
# (`aws cloudformation package` and `sam deploy` upload a local Location)
INCLUDE_PROPS = {
    "AWS::Serverless::Api": ("DefinitionBody",),
    "AWS::Serverless::HttpApi": ("DefinitionBody",),
    "AWS::Serverless::StateMachine": ("Definition",),
    "AWS::ApiGateway::RestApi": ("Body",),
    "AWS::ApiGatewayV2::Api": ("Body",),
    "AWS::StepFunctions::StateMachine": ("Definition",),
}


def include_location(ctx: Ctx, value: object) -> str | None:
    """The `Location` of `Fn::Transform: {Name: AWS::Include, Parameters: {Location}}`."""
    if not isinstance(value, dict) or set(value) != {"Fn::Transform"}:
        return None
    spec = value["Fn::Transform"]
    if not isinstance(spec, dict) or spec.get("Name") != "AWS::Include":
        return None
    params = spec.get("Parameters")
    loc = ctx.scalar(params.get("Location")) if isinstance(params, dict) else None
    return loc if isinstance(loc, str) and loc else None


def _judge(ctx: Ctx, lid: str, node: str, prop: str, shown: str, uri: str,
           want_file: bool) -> None:
    why = local_path_problem(ctx.base_dir, uri, want_file=want_file)
    if why is None or ctx.arch.props(node).get("missing_path"):
        return
    ctx.set_props(node, missing_path=f"{shown} {uri}: {why}")
    line, col = _line_of_key(ctx, lid, prop)
    ctx.arch.graph.nodes[node].setdefault("prop_locs", {})["missing_path"] = \
        Location(ctx.path, line, col)


def _line_of_key(ctx: Ctx, lid: str, prop: str) -> tuple[int, int]:
    """The line of `prop:` (YAML) or `"prop"` (JSON) at or after the resource's line (a
    scalar value carries no line of its own); the resource's line when not found (the
    value came from SAM Globals)."""
    line, col = ctx.line_of(None, lid)
    lines = (ctx.text or "").splitlines()
    if not 0 < line <= len(lines):
        return line, col
    indent = len(lines[line - 1]) - len(lines[line - 1].lstrip())
    for i in range(line - 1, min(len(lines), line + 400)):
        text = lines[i]
        if i >= line and text.strip() and len(text) - len(text.lstrip()) <= indent \
                and not text.lstrip().startswith(("#", "}", "]")):
            break  # the next resource (YAML): this one does not state it
        for key in (f"{prop}:", f'"{prop}"'):
            at = text.find(key)
            if at >= 0 and (at == 0 or not text[at - 1].isalnum()):
                return i + 1, at + 1
    return line, col
