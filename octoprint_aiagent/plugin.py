"""The OctoPrint plugin: mixins, settings, hooks. The work is done by the core packages.

Nothing heavy is imported here: trimesh, numpy, manifold3d and httpx are imported by the services
when they first run, so OctoPrint's start-up does not pay for them.
"""

from __future__ import annotations

import threading

import octoprint.plugin

SETTINGS_DEFAULTS = {
    "llm": {
        "backend": "offline",  # offline | openai | ollama
        "base_url": "",
        "model": "",
        "api_key": "",
        "timeout": 60,  # seconds for the whole design loop: every round's answer and measuring
        "rounds": 3,  # answers the LLM may give for one part, the first included: the others repair it
    },
    "confirm_assumptions": True,  # an LLM's part resting on sizes nobody stated waits for the user before slicing
    "slicer": "auto",  # auto | prusaslicer | curaengine | builtin
    "slicer_timeout": 600,
    "design_timeout": 120,
    "default_material": "PLA",
    "fit_clearance": 0.2,  # mm per side for parts that must fit: threads, holes for screws, lids
    "default_quality": "normal",
    "infill_percent": 20,
    "print_without_asking": False,
    "materials": {},  # per-material overrides of the presets, e.g. {"PLA": {"nozzle_temp": 205}}
    "max_prompt_chars": 2000,
    "max_queued_jobs": 20,
    "max_jobs_per_minute": 30,
}


# Settings that are numbers, with their bounds: form fields arrive as strings, and a value out of
# range would make every later job fail, so such a value is not saved (the old one stays).
NUMBER_SETTINGS = {
    ("infill_percent",): (int, 0, 100),
    ("slicer_timeout",): (float, 10, 7200),
    ("design_timeout",): (float, 5, 3600),
    ("fit_clearance",): (float, -0.5, 1.0),
    ("max_prompt_chars",): (int, 20, 20000),
    ("max_queued_jobs",): (int, 1, 1000),
    ("max_jobs_per_minute",): (int, 1, 10000),
    ("llm", "timeout"): (float, 1, 3600),
    ("llm", "rounds"): (int, 1, 10),
}


def _numbers(data: dict) -> dict:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for path, (kind, low, high) in NUMBER_SETTINGS.items():
        node = data
        for key in path[:-1]:
            node = node.get(key) if isinstance(node.get(key), dict) else {}
        if path[-1] not in node:
            continue
        try:
            value = kind(float(node[path[-1]]))
        except (TypeError, ValueError):
            value = None
        if value is None or not low <= value <= high:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return data


class AIAgentPlugin(
    octoprint.plugin.StartupPlugin,
    octoprint.plugin.ShutdownPlugin,
    octoprint.plugin.SettingsPlugin,
    octoprint.plugin.AssetPlugin,
    octoprint.plugin.TemplatePlugin,
    octoprint.plugin.BlueprintPlugin,
    octoprint.plugin.EventHandlerPlugin,
    octoprint.plugin.ProgressPlugin,
):
    def __init__(self):
        super().__init__()
        self._services = None
        self._services_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def services(self):
        """The plugin's services (job runner, metrics, sampler...), built on first use."""
        if self._services is None:
            with self._services_lock:
                if self._services is None:
                    from .host import Services

                    self._services = Services.start(self)
        return self._services

    def on_after_startup(self):
        self.services  # noqa: B018 (start the sampler and resume the job history now, not on the first request)

    def on_shutdown(self):
        if self._services is not None:
            self._services.stop()

    def on_event(self, event, payload):
        if self._services is not None:
            self._services.on_octoprint_event(event, payload or {})

    def on_print_progress(self, storage, path, progress):
        if self._services is not None:
            self._services.runner.on_print_progress(path, progress)

    # -- settings ----------------------------------------------------------------------------

    def get_settings_defaults(self):
        return SETTINGS_DEFAULTS

    def get_settings_restricted_paths(self):
        # The LLM key is write-only: it is never sent to any browser, admins included.
        return {"never": [["llm", "api_key"]], "admin": [["llm", "base_url"], ["llm", "model"]]}

    def on_settings_load(self):
        data = super().on_settings_load()
        data["llm"]["api_key_set"] = bool(self._settings.get(["llm", "api_key"]))
        return data

    def on_settings_save(self, data):
        llm = dict(data.get("llm") or {})
        llm.pop("api_key_set", None)
        # The browser never has the key, so an empty value means "unchanged", not "delete";
        # deleting is an explicit request.
        if llm.pop("clear_api_key", False):
            llm["api_key"] = ""
        elif not llm.get("api_key"):
            llm.pop("api_key", None)
        if "llm" in data:
            data = dict(data, llm=llm)
        saved = super().on_settings_save(_numbers(data))
        if self._services is not None:
            # Now, not on the later SettingsUpdated event: a job sent right after the save
            # must already use the new values.
            self._services.refresh_settings()
        return saved

    # -- web UI ------------------------------------------------------------------------------

    def get_assets(self):
        return {
            # Order matters: OctoPrint bundles them as listed. aiagent_format.js starts
            # window.AiAgent, the other aiagent_*.js files read and extend it, aiagent.js uses it.
            "js": [
                "vendor/three/three.min.js",
                "js/aiagent_viewer.js",
                "js/aiagent_format.js",
                "js/aiagent_performance.js",
                "js/aiagent_spec.js",
                "js/aiagent_history.js",
                "js/aiagent_settings.js",
                "js/aiagent.js",
                "js/aiagent_assumptions.js",  # its own view model, after the tab's it depends on
            ],
            "css": ["css/aiagent.css"],
        }

    def get_template_configs(self):
        return [
            {"type": "tab", "name": "AI Agent", "custom_bindings": True},
            {"type": "settings", "name": "AI Agent", "custom_bindings": True},
        ]

    def is_template_autoescaped(self):
        return True

    def get_template_vars(self):
        from .capabilities import design_unavailable

        return {"design_unavailable": design_unavailable()}

    # -- REST API ----------------------------------------------------------------------------

    def get_blueprint(self):
        if not hasattr(self, "_blueprint"):
            from .api import create_blueprint

            self._blueprint = create_blueprint(self, **self.get_blueprint_kwargs())
        return self._blueprint

    def is_blueprint_protected(self):
        return True

    def is_blueprint_csrf_protected(self):
        return True

    # -- software update ---------------------------------------------------------------------

    def get_update_information(self):
        return {
            "aiagent": {
                "displayName": "AI Agent",
                "displayVersion": self._plugin_version,
                "type": "github_release",
                "user": "octoprint-aiagent",
                "repo": "OctoPrint-AIAgent",
                "current": self._plugin_version,
                "pip": "https://github.com/octoprint-aiagent/OctoPrint-AIAgent/archive/{target_version}.zip",
            }
        }


def get_additional_permissions(*args, **kwargs):
    from octoprint.access import ADMIN_GROUP, USER_GROUP

    return [
        {
            "key": "DESIGN",
            "name": "Design parts",
            "description": "Describe parts, see designs, jobs and the performance view",
            "roles": ["design"],
            "default_groups": [ADMIN_GROUP, USER_GROUP],
        },
        {
            "key": "PRINT",
            "name": "Print designed parts",
            "description": "Send a checked design to the printer",
            "roles": ["print"],
            "dangerous": False,
            "default_groups": [ADMIN_GROUP, USER_GROUP],
        },
    ]


def register_custom_events(*args, **kwargs):
    return ["job_state"]


def get_extension_tree(*args, **kwargs):
    return {"model": {"stl": ["stl"]}}


def filter_socket_messages(socket, user, message, payload, *args, **kwargs):
    """Plugin messages carry prompts and designs: only users who may design receive them."""
    if message != "plugin" or (payload or {}).get("plugin") != "aiagent":
        return True
    from octoprint.access.permissions import Permissions

    return bool(user and user.has_permission(Permissions.PLUGIN_AIAGENT_DESIGN))
