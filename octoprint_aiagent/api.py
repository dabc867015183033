"""REST routes under /plugin/aiagent/: JSON in, JSON out, every route behind a permission.

Every response (errors and 403s included) carries the timing headers and is counted in the
metrics registry; both come from values sampled in the background, so nothing here blocks.
"""

from __future__ import annotations

import json
import math
import time
from functools import wraps

import flask
from octoprint.access.permissions import Permissions
from werkzeug.exceptions import HTTPException

from .capabilities import require_design
from .model.errors import AgentError


def create_blueprint(plugin, **blueprint_kwargs) -> flask.Blueprint:
    bp = flask.Blueprint(plugin._identifier, plugin._identifier, **blueprint_kwargs)
    services = lambda: plugin.services  # noqa: E731  (built lazily, after the blueprint)

    @bp.before_request
    def _start_clock():
        flask.g.aiagent_started = time.perf_counter()

    @bp.after_request
    def _timing_headers(response):
        from .perf.headers import timing_headers

        started = getattr(flask.g, "aiagent_started", None) or time.perf_counter()
        svc = services()
        response.headers.update(timing_headers(started, svc.sampler.latest()))
        rule = flask.request.url_rule
        svc.metrics.record_request(rule.rule if rule else "unmatched", response.status_code, time.perf_counter() - started)
        return response

    @bp.errorhandler(AgentError)
    def _agent_error(exc: AgentError):
        response = _error(exc.http_status, exc.message, stage=exc.stage, hint=exc.hint)
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return _error(exc.code or 500, exc.description or exc.name)

    @bp.errorhandler(Exception)
    def _unexpected(exc: Exception):
        plugin._logger.exception("Unexpected error in %s %s", flask.request.method, flask.request.path)
        return _error(500, f"internal error: {type(exc).__name__}; see octoprint.log")

    @bp.route("/status", methods=["GET"])
    @_require(Permissions.PLUGIN_AIAGENT_DESIGN)
    def status():
        body, etag = services().status()
        # The tab polls this: an unchanged answer costs a 304 and no body.
        if etag in flask.request.headers.get("If-None-Match", ""):
            response = flask.Response(status=304)
        else:
            response = flask.Response(body, mimetype="application/json")
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "no-cache"
        return response

    @bp.route("/performance/metrics", methods=["GET"])
    @_require(Permissions.PLUGIN_AIAGENT_DESIGN)
    def performance_metrics():
        svc = services()
        if flask.request.args.get("format") == "prometheus":
            return flask.Response(svc.metrics.prometheus(), mimetype="text/plain; version=0.0.4")
        since = flask.request.args.get("since")
        try:
            since = float(since) if since is not None else None
        except ValueError:
            return _error(422, "'since' must be a UNIX time in seconds")
        return flask.jsonify(svc.metrics_snapshot(since))

    @bp.route("/llm/test", methods=["POST"])
    @_require(Permissions.SETTINGS)
    def test_llm():
        body = _json_body()
        fields = {"backend": str, "base_url": str, "model": str, "api_key": str, "timeout": (int, float)}
        for key, value in body.items():
            if key not in fields or not isinstance(value, fields[key]) or isinstance(value, bool):
                return _error(422, f"'{key}' is not a setting of the LLM test" if key not in fields else f"'{key}' has the wrong type")
        timeout = float(body.get("timeout", 10))
        if not 0 < timeout <= 120:
            return _error(422, "'timeout' must be between 0 and 120 seconds")
        result = services().test_llm(body.get("backend", ""), body.get("base_url", ""), body.get("model", ""), body.get("api_key", ""), timeout)
        return flask.jsonify(result)

    # -- jobs ------------------------------------------------------------------------------

    @bp.route("/jobs", methods=["POST"])
    @_require(Permissions.PLUGIN_AIAGENT_DESIGN)
    def create_job():
        require_design()
        from .agent.job_request import parse_job_request

        svc = services()
        body = _json_body()
        defaults = {
            "quality": svc.settings("default_quality", default="normal"),
            "infill_percent": svc.settings("infill_percent", default=20),
        }
        request, print_after = parse_job_request(body, defaults, int(svc.settings("max_prompt_chars", default=2000)))
        if print_after and not Permissions.PLUGIN_AIAGENT_PRINT.can():
            return _error(403, "you need the 'Print designed parts' permission to ask for a print")
        job = svc.runner.submit(request, _user(), print_after=print_after)
        return _job_response(job, 202)

    @bp.route("/jobs", methods=["GET"])
    @_require(Permissions.PLUGIN_AIAGENT_DESIGN)
    def list_jobs():
        offset = _int_arg("offset", 0, 0, 10**6)
        limit = _int_arg("limit", 20, 1, 200)
        jobs, total = services().runner.store.list(offset, limit)
        return flask.jsonify({"jobs": [j.to_dict() for j in jobs], "total": total, "offset": offset, "limit": limit})

    @bp.route("/jobs/<job_id>", methods=["GET"])
    @_require(Permissions.PLUGIN_AIAGENT_DESIGN)
    def get_job(job_id):
        return _job_response(services().runner.get(job_id))

    @bp.route("/jobs/<job_id>", methods=["DELETE"])
    @_require(Permissions.PLUGIN_AIAGENT_DESIGN)
    def delete_job(job_id):
        remove_files = flask.request.args.get("files") in ("1", "true", "yes")
        return _job_response(services().runner.delete(job_id, remove_files=remove_files))

    @bp.route("/jobs/<job_id>/cancel", methods=["POST"])
    @_require(Permissions.PLUGIN_AIAGENT_DESIGN)
    def cancel_job(job_id):
        return _job_response(services().runner.cancel(job_id, _user()), 202)

    @bp.route("/jobs/<job_id>/print", methods=["POST"])
    @_require(Permissions.PLUGIN_AIAGENT_PRINT)
    def print_job(job_id):
        return _job_response(services().runner.print(job_id, _user()))

    @bp.route("/jobs/<job_id>/refine", methods=["POST"])
    @_require(Permissions.PLUGIN_AIAGENT_DESIGN)
    def refine_job(job_id):
        require_design()
        from .agent.job_request import JobRequest, check_prompt_length
        from .language.refine import refine_spec
        from .model.spec import DesignSpec

        body = _json_body()
        instruction = body.get("prompt")
        if not isinstance(instruction, str) or not instruction.strip() or set(body) - {"prompt", "print"}:
            return _error(400, "send {\"prompt\": \"make it 10 mm taller\"}")
        svc = services()
        check_prompt_length(instruction, int(svc.settings("max_prompt_chars", default=2000)), "instruction")
        runner = svc.runner
        parent = runner.get(job_id)
        spec_data = (parent.outputs or {}).get("spec")
        if not spec_data:
            return _error(409, f"job {job_id} has no design to refine yet")
        # The refined spec carries the material ("use PETG" changes it there); the parent's
        # material field must not override it.
        changed = dict(parent.request, spec=None, part=None, material=None)
        if svc.settings("llm", "backend", default="offline") == "offline":
            # Offline, the change is read now: an instruction it does not understand is a 422 here.
            spec = refine_spec(DesignSpec.from_dict(spec_data), instruction)
            request = JobRequest(**dict(changed, prompt="", base=None, spec=spec.to_dict()))
        else:
            # The LLM edits the document in the job (design_loop.py): that takes rounds of answers.
            request = JobRequest(**dict(changed, prompt=instruction, base=spec_data))
        job = runner.submit(request, _user(), print_after=bool(body.get("print", False)), parent=job_id)
        return _job_response(job, 202)

    @bp.route("/jobs/<job_id>/confirm", methods=["POST"])
    @_require(Permissions.PLUGIN_AIAGENT_DESIGN)
    def confirm_job(job_id):
        require_design()
        body = _json_body()
        values = body.get("values", {})
        if set(body) - {"values"} or not isinstance(values, dict):
            return _error(400, "send {\"values\": {\"<assumption field>\": <value>, ...}} (empty: confirm them as they are)")
        return _job_response(services().runner.confirm(job_id, _user(), values), 202)

    @bp.route("/jobs/<job_id>/model.stl", methods=["GET"])
    @_require(Permissions.PLUGIN_AIAGENT_DESIGN)
    def job_model(job_id):
        return _stream_file(job_id, "stl", "model/stl")

    @bp.route("/jobs/<job_id>/gcode", methods=["GET"])
    @_require(Permissions.PLUGIN_AIAGENT_DESIGN)
    def job_gcode(job_id):
        return _stream_file(job_id, "gcode", "text/x.gcode")

    def _stream_file(job_id, kind, mimetype):
        svc = services()
        job = svc.runner.get(job_id)
        path = job.files.get(kind)
        if not path or not svc.printer.exists(path):
            return _error(404, f"job {job_id} has no {kind} file (not made yet, or deleted from OctoPrint's files)")
        return flask.send_file(svc.printer.local_path(path), mimetype=mimetype, as_attachment=True, download_name=path.split("/")[-1], conditional=True)

    @bp.route("/", defaults={"anything": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @bp.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def not_found(anything):
        return _error(404, f"no such endpoint: {flask.request.method} /plugin/aiagent/{anything}")

    return bp


def _require(permission):
    """Like ``permission.require(403)``, but answers in JSON like every other error here."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not permission.can():
                return _error(403, f"you need the '{permission.get_name()}' permission for this")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _job_response(job, status: int = 200):
    response = flask.make_response(flask.jsonify(job.to_dict()), status)
    if status == 202:
        response.headers["Location"] = f"jobs/{job.id}"
    return response


def _json_body() -> dict:
    try:
        # NaN, Infinity and 1e400 are not JSON numbers: if accepted, they would be stored in a job
        # that OctoPrint's strict encoder could then never send back (every listing a 500).
        body = json.loads(flask.request.get_data(), parse_constant=_not_a_number, parse_float=_finite) if flask.request.is_json else None
    except ValueError:
        body = None
    except RecursionError:  # json's decoder gives up on nesting deeper than the recursion limit
        raise AgentError("request", "the request body is nested too deeply", reason="invalid") from None
    if body is None:
        raise AgentError("request", "the request body must be JSON (Content-Type: application/json)", reason="invalid")
    if not isinstance(body, dict):
        raise AgentError("request", "the request body must be a JSON object", reason="invalid")
    return body


def _not_a_number(text: str):
    raise AgentError("request", f"{text} is not a number JSON allows", reason="invalid")


def _finite(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else _not_a_number(text)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = flask.request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise AgentError("request", f"'{name}' must be a whole number") from None
    if not low <= value <= high:
        raise AgentError("request", f"'{name}' must be from {low} to {high}")
    return value


def _user() -> str:
    from flask_login import current_user

    return getattr(current_user, "get_name", lambda: "unknown")() or "unknown"


def _error(status: int, message: str, **extra):
    body = {"error": message}
    body.update({k: v for k, v in extra.items() if v})
    return flask.make_response(flask.jsonify(body), status)
