/*
 * AI Agent tab and settings: one Knockout view model.
 *
 * Every request goes through OctoPrint's JS client (OctoPrint.get/postJson/delete), which adds the
 * session's CSRF token or API key. Job updates are pushed by the server as plugin messages
 * {type: "job", job}. User and model text is only ever shown through `text:` bindings or
 * PNotify with escaping on: nothing here builds HTML from data.
 */
$(function () {
    "use strict";

    var PLUGIN = "aiagent";
    var API = "plugin/" + PLUGIN + "/";
    var STAGES = ["understanding", "designing", "checking", "slicing", "printing"];
    var FINAL_STATES = ["ready", "done", "failed", "cancelled"];
    var PERF_POLL_MS = 5000;
    var PERF_POINTS = 240; // 20 minutes of client-side series at one point per poll
    var SYSTEM_WINDOW_S = 3600;
    var HISTORY_PAGE = 20;

    // -- formatting -----------------------------------------------------------------------------

    function fmtNumber(value, digits) {
        if (value === null || value === undefined || isNaN(value)) return "-";
        return String(Number(Number(value).toFixed(digits === undefined ? 1 : digits)));
    }

    function fmtSeconds(seconds) {
        if (seconds === null || seconds === undefined || isNaN(seconds)) return "";
        if (seconds < 0.01) return "< 0.01 s";
        if (seconds < 10) return fmtNumber(seconds, 2) + " s";
        if (seconds < 60) return fmtNumber(seconds, 1) + " s";
        var s = Math.round(seconds);
        if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
        return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
    }

    /** Extents of the part in mm: the report's bbox is [x, y, z] extents, or [min, max] corners. */
    function bboxSize(report) {
        var bbox = report && report.bbox;
        if (!bbox) return null;
        if (bbox.length === 3 && typeof bbox[0] === "number") return bbox;
        if (bbox.length !== 2) return null;
        return [0, 1, 2].map(function (i) {
            return bbox[1][i] - bbox[0][i];
        });
    }

    function fmtSize(size) {
        if (!size) return "";
        return size.map(function (v) {
            return fmtNumber(v, 1);
        }).join(" × ") + " mm";
    }

    function humanName(name) {
        return String(name || "").replace(/_/g, " ");
    }

    /** Parameters are millimetres, except counts and angles (see the KINDS catalogue in spec.py). */
    function paramUnit(name) {
        if (/(^|_)(count|teeth)$/.test(name)) return "#";
        if (/angle$/.test(name)) return "°";
        return "mm";
    }

    /** "the printer is busy" -> "The printer is busy." */
    function sentence(text) {
        text = String(text || "").trim();
        if (!text) return "";
        text = text.charAt(0).toUpperCase() + text.slice(1);
        return /[.!?]$/.test(text) ? text : text + ".";
    }

    /** A readable sentence from a failed request: the server's JSON error, its hint, or the status. */
    function errorText(xhr) {
        var body = xhr && xhr.responseJSON;
        if (body && body.error) {
            return body.hint ? sentence(body.error) + " " + sentence(body.hint) : sentence(body.error);
        }
        if (!xhr || xhr.status === 0) return gettext("OctoPrint could not be reached. Is it still running?");
        return _.sprintf(gettext("The server answered %(status)s %(text)s."), {
            status: xhr.status,
            text: xhr.statusText || ""
        });
    }

    function notify(type, title, text) {
        new PNotify({
            title: title,
            text: text,
            type: type,
            title_escape: true,
            text_escape: true,
            hide: type !== "error"
        });
    }

    /** One chart in the Performance view: a Flot plot redrawn with new data, or a note when empty. */
    function plot(element, series, options, emptyText) {
        if (!element || !$(element).is(":visible") || !$(element).width()) return;
        var empty = _.every(series, function (s) {
            return !s.data.length;
        });
        if (empty) {
            $(element).empty().append($("<div class='aiagent-chart-empty muted'></div>").text(emptyText || gettext("No data yet.")));
            return;
        }
        $.plot(
            element,
            series,
            $.extend(
                true,
                {
                    grid: {borderWidth: 1, borderColor: "#ccc", hoverable: false},
                    legend: {position: "nw", backgroundOpacity: 0.6},
                    series: {shadowSize: 0, lines: {lineWidth: 1.5}, points: {radius: 1.5}}
                },
                options
            )
        );
    }

    function timeAxis() {
        return {mode: "time", timezone: "browser", minTickSize: [1, "minute"]};
    }

    function pushBounded(list, item) {
        list.push(item);
        if (list.length > PERF_POINTS) list.splice(0, list.length - PERF_POINTS);
    }

    // -- the performance view -------------------------------------------------------------------

    function PerformanceView(vm) {
        var self = this;
        self.snapshot = ko.observable(null);
        self.error = ko.observable("");
        self.series = {latency: [], llm: [], cache: [], cpu: [], rss: []};
        self._timer = null;
        self._lastSystemAt = null;

        self.routes = ko.pureComputed(function () {
            var snap = self.snapshot();
            if (!snap) return [];
            var routes = snap.http.routes;
            return Object.keys(routes).map(function (route) {
                var entry = routes[route];
                return {
                    route: route.replace(/^\/plugin\/aiagent/, "") || "/",
                    count: entry.count,
                    errors4xx: entry.errors["4xx"],
                    errors5xx: entry.errors["5xx"],
                    p50: fmtMs(entry.latency_s.p50),
                    p95: fmtMs(entry.latency_s.p95),
                    p99: fmtMs(entry.latency_s.p99)
                };
            }).sort(function (a, b) {
                return b.count - a.count;
            });
        });

        self.figures = ko.pureComputed(function () {
            var snap = self.snapshot();
            if (!snap) return [];
            var latest = snap.system.latest || {};
            var cache = snap.cache;
            return [
                {label: gettext("Requests"), value: String(snap.http.count)},
                {label: gettext("Client errors (4xx)"), value: String(snap.http.errors["4xx"])},
                {label: gettext("Server errors (5xx)"), value: String(snap.http.errors["5xx"])},
                {label: gettext("Request p95"), value: fmtMs(snap.http.latency_s.p95)},
                {label: gettext("CPU"), value: latest.cpu_percent === undefined ? "-" : fmtNumber(latest.cpu_percent, 1) + " %"},
                {label: gettext("Memory"), value: latest.rss_mb === undefined ? "-" : fmtNumber(latest.rss_mb, 0) + " MB"},
                {label: gettext("LLM calls (failed)"), value: snap.llm.calls + " (" + snap.llm.failures + ")"},
                {label: gettext("LLM connections new / reused"), value: snap.llm.connections["new"] + " / " + snap.llm.connections.reused},
                {
                    label: gettext("Spec cache hit rate"),
                    value: cache.hit_rate === null ? "-" : fmtNumber(cache.hit_rate * 100, 0) + " % of " + (cache.hits + cache.misses)
                },
                {label: gettext("Deduplicated LLM requests"), value: String(cache.deduplicated)},
                {label: gettext("Up since"), value: formatDate(snap.started_at)}
            ];
        });

        function fmtMs(seconds) {
            if (seconds === null || seconds === undefined) return "-";
            return fmtNumber(seconds * 1000, seconds < 0.01 ? 2 : 1) + " ms";
        }

        self.shouldPoll = function () {
            return vm.tabActive() && vm.view() === "performance" && !document.hidden;
        };

        /** Start or stop polling to match what is visible: nothing is fetched for a hidden view. */
        self.update = function () {
            if (self.shouldPoll()) {
                if (self._timer === null) {
                    self.fetch();
                    self._timer = setInterval(self.fetch, PERF_POLL_MS);
                }
            } else if (self._timer !== null) {
                clearInterval(self._timer);
                self._timer = null;
            }
        };

        self.fetch = function () {
            var query = self._lastSystemAt ? "?since=" + encodeURIComponent(self._lastSystemAt) : "";
            OctoPrint.get(API + "performance/metrics" + query)
                .done(function (snap) {
                    self.error("");
                    self._record(snap);
                    self.snapshot(snap);
                    self.draw();
                })
                .fail(function (xhr) {
                    self.error(errorText(xhr));
                });
        };

        self._record = function (snap) {
            var at = snap.at * 1000;
            var s = self.series;
            pushBounded(s.latency, [at, snap.http.latency_s.p50, snap.http.latency_s.p95]);
            pushBounded(s.llm, [at, snap.llm.latency_s.p50, snap.llm.latency_s.p95]);
            pushBounded(s.cache, [at, snap.cache.hit_rate]);
            var sys = snap.system;
            for (var i = 0; i < sys.at.length; i++) {
                if (self._lastSystemAt !== null && sys.at[i] <= self._lastSystemAt) continue;
                s.cpu.push([sys.at[i] * 1000, sys.cpu_percent[i]]);
                s.rss.push([sys.at[i] * 1000, sys.rss_mb[i]]);
            }
            if (sys.at.length) self._lastSystemAt = sys.at[sys.at.length - 1];
            var oldest = (snap.at - SYSTEM_WINDOW_S) * 1000;
            while (s.cpu.length && s.cpu[0][0] < oldest) s.cpu.shift();
            while (s.rss.length && s.rss[0][0] < oldest) s.rss.shift();
        };

        function column(points, index, scale) {
            return points
                .filter(function (p) {
                    return p[index] !== null && p[index] !== undefined;
                })
                .map(function (p) {
                    return [p[0], p[index] * (scale || 1)];
                });
        }

        self.draw = function () {
            var snap = self.snapshot();
            if (!snap || !self.shouldPoll()) return;
            var s = self.series;
            var ms = {tickFormatter: function (v) {
                return fmtNumber(v, 1) + " ms";
            }, min: 0};
            var withPoints = {lines: {show: true}, points: {show: true}};
            plot($("#aiagent_perf_latency"), [
                $.extend({label: "p50", data: column(s.latency, 1, 1000)}, withPoints),
                $.extend({label: "p95", data: column(s.latency, 2, 1000)}, withPoints)
            ], {xaxis: timeAxis(), yaxis: ms}, gettext("No requests measured yet."));
            plot($("#aiagent_perf_cpu"), [{label: gettext("CPU %"), data: s.cpu, color: "#d9534f"}], {
                xaxis: timeAxis(),
                yaxis: {min: 0}
            }, gettext("No samples yet."));
            plot($("#aiagent_perf_memory"), [{label: gettext("Resident MB"), data: s.rss, color: "#5bc0de"}], {
                xaxis: timeAxis()
            }, gettext("No samples yet."));
            plot($("#aiagent_perf_cache"), [
                $.extend({label: gettext("hit rate %"), data: column(s.cache, 1, 100), color: "#5cb85c"}, withPoints)
            ], {xaxis: timeAxis(), yaxis: {min: 0, max: 100}}, gettext("No cache lookups yet: the offline parser needs no cache."));
            plot($("#aiagent_perf_llm"), [
                $.extend({label: "p50", data: column(s.llm, 1, 1000)}, withPoints),
                $.extend({label: "p95", data: column(s.llm, 2, 1000)}, withPoints)
            ], {xaxis: timeAxis(), yaxis: ms}, gettext("No language model calls yet."));
            var stages = _.keys(snap.stages).sort(function (a, b) {
                return STAGES.indexOf(a) - STAGES.indexOf(b);
            });
            // horizontal bars, one row per stage, so the stage names have room
            var bars = function (key, offset) {
                return stages.map(function (stage, i) {
                    return [snap.stages[stage][key] || 0, stages.length - 1 - i + offset];
                });
            };
            var barStyle = {show: true, horizontal: true, barWidth: 0.4, align: "center", fill: 0.7};
            plot($("#aiagent_perf_stages"), [
                {label: "p50", data: bars("p50", 0.2), bars: barStyle},
                {label: "p95", data: bars("p95", -0.2), bars: barStyle}
            ], {
                legend: {position: "ne"},
                yaxis: {
                    ticks: stages.map(function (stage, i) {
                        return [stages.length - 1 - i, stage];
                    }),
                    min: -0.6,
                    max: Math.max(stages.length, 1) - 0.4
                },
                xaxis: {min: 0, tickFormatter: function (v) {
                    return fmtNumber(v, 2) + " s";
                }}
            }, gettext("No job has run yet."));
        };
    }

    // -- the view model ---------------------------------------------------------------------------

    function AiAgentViewModel(parameters) {
        var self = this;
        self.loginState = parameters[0];
        self.settings = parameters[1];
        self.printerState = parameters[2];
        self.access = parameters[3];
        self.gcodeViewer = parameters[4]; // optional: null when the G-code viewer plugin is disabled

        self.pluginSettings = null;
        self.view = ko.observable("design");
        self.tabActive = ko.observable(false);
        self.status = ko.observable(null);
        self.statusError = ko.observable("");
        self.now = ko.observable(Date.now());

        self.canDesign = ko.pureComputed(function () {
            var p = self.access.permissions.PLUGIN_AIAGENT_DESIGN;
            return !!p && self.loginState.hasPermission(p);
        });
        self.canPrint = ko.pureComputed(function () {
            var p = self.access.permissions.PLUGIN_AIAGENT_PRINT;
            return !!p && self.loginState.hasPermission(p);
        });
        self.printerReady = ko.pureComputed(function () {
            var ps = self.printerState;
            return !!(ps.isOperational() && ps.isReady() && !ps.isPrinting() && !ps.isPaused());
        });

        // -- the prompt ---------------------------------------------------------------------------

        self.prompt = ko.observable("");
        self.material = ko.observable();
        self.quality = ko.observable();
        self.printWhenReady = ko.observable(false);
        self.submitting = ko.observable(false);

        self.materials = ko.pureComputed(function () {
            var st = self.status();
            if (st && st.materials) return _.keys(st.materials);
            return _.compact([self.pluginSettings && self.pluginSettings.default_material()]);
        });
        self.qualities = ko.pureComputed(function () {
            var st = self.status();
            if (st && st.qualities) return _.keys(st.qualities);
            return _.compact([self.pluginSettings && self.pluginSettings.default_quality()]);
        });
        self.maxPromptChars = ko.pureComputed(function () {
            return self.pluginSettings ? self.pluginSettings.max_prompt_chars() : 2000;
        });
        self.understandingLabel = ko.pureComputed(function () {
            var st = self.status();
            if (!st) return "";
            var u = st.understanding;
            if (u.backend === "offline") return gettext("Understood by the offline parser");
            return _.sprintf(gettext("Understood by %(backend)s %(model)s"), {backend: u.backend, model: u.model});
        });
        self.canSubmit = ko.pureComputed(function () {
            return self.canDesign() && !self.submitting() && self.prompt().trim().length > 0;
        });

        self.promptKeydown = function (data, event) {
            if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
                self.design();
                return false;
            }
            return true; // let the textarea have every other key
        };

        self.design = function () {
            if (!self.canSubmit()) return;
            self.submit({
                prompt: self.prompt().trim(),
                material: self.material(),
                quality: self.quality(),
                print: self.canPrint() && self.printWhenReady()
            });
        };

        self.submit = function (body) {
            self.submitting(true);
            return OctoPrint.postJson(API + "jobs", _.omit(body, _.isUndefined))
                .done(self._started)
                .fail(function (xhr) {
                    notify("error", gettext("The design was not started"), errorText(xhr));
                })
                .always(function () {
                    self.submitting(false);
                });
        };

        // -- the current job ----------------------------------------------------------------------

        self.job = ko.observable(null);
        self.mine = {}; // ids of jobs started from this page: only those raise notifications
        self.stageClock = {}; // job id -> stage -> {start, end} in ms, until the server's timings arrive

        // queued, a design stage, or printing: something is running that Cancel can stop
        self.jobActive = ko.pureComputed(function () {
            var job = self.job();
            return !!job && FINAL_STATES.indexOf(job.state) === -1;
        });

        self.stages = ko.pureComputed(function () {
            var job = self.job();
            if (!job) return [];
            var now = self.now();
            var outputs = job.outputs || {};
            var timings = outputs.timings || {};
            var clock = self.stageClock[job.id] || {};
            var current = job.state === "printing" ? "printing" : job.stage || job.state;
            var failedAt = job.error ? job.error.stage : null;
            var reached = STAGES.indexOf(current);
            if (job.state === "ready") reached = STAGES.indexOf("printing");
            if (job.state === "done") reached = STAGES.length;
            if (failedAt !== null && STAGES.indexOf(failedAt) !== -1) reached = STAGES.indexOf(failedAt);

            return STAGES.map(function (stage, index) {
                var status;
                if (failedAt === stage) status = job.state === "cancelled" ? "cancelled" : "failed";
                else if (index < reached) status = "done";
                else if (index === reached && stage === current && FINAL_STATES.indexOf(job.state) === -1) status = "running";
                else if (job.error && index > reached) status = "skipped";
                else status = "pending";

                var seconds = timings[stage];
                var c = clock[stage];
                if (seconds === undefined && c) seconds = ((c.end || now) - c.start) / 1000;
                var progress = stage === "printing" ? job.print_progress : job.progress;
                return {
                    name: stage,
                    status: status,
                    time: status === "pending" || status === "skipped" ? "" : fmtSeconds(seconds),
                    progress: status === "running" ? Math.round((progress || 0) * 100) : null
                };
            });
        });

        self.sentence = sentence;

        // one class string per status: KO's css object form would strip the shared "fas" class
        self.stageIcon = function (status) {
            return {
                done: "fas fa-check",
                running: "fas fa-spinner fa-spin",
                failed: "fas fa-times",
                cancelled: "fas fa-ban"
            }[status] || "far fa-circle";
        };

        self.stateLabelClass = function (state) {
            return {
                ready: "label-info",
                printing: "label-warning",
                done: "label-success",
                failed: "label-important",
                cancelled: "label-inverse"
            }[state] || "";
        };

        self.spec = ko.pureComputed(function () {
            var job = self.job();
            return (job && job.outputs && job.outputs.spec) || null;
        });
        self.paramRows = ko.observableArray([]);
        self.quantity = ko.observable("");
        self.otherAssumptions = ko.observableArray([]);
        self._rowsFor = null;

        /** Rebuild the editable fields only when the spec itself changes, so edits survive pushes. */
        self._syncParamRows = function () {
            var spec = self.spec();
            var job = self.job();
            var key = spec ? job.id + ":" + JSON.stringify(spec) : null;
            if (key === self._rowsFor) return;
            self._rowsFor = key;
            if (!spec) {
                self.paramRows([]);
                self.otherAssumptions([]);
                return;
            }
            var assumed = {};
            _.each(spec.assumptions || [], function (a) {
                assumed[a.field] = a;
            });
            var params = spec.params || {};
            // Object.keys, not _.map: lodash 3 walks any object with a numeric "length" (a box's
            // length parameter!) as if it were an array
            self.paramRows(
                Object.keys(params).map(function (name) {
                    var value = params[name];
                    var flag = typeof value === "boolean";
                    return {
                        name: name,
                        label: humanName(name),
                        unit: paramUnit(name),
                        flag: flag,
                        original: value,
                        value: ko.observable(flag ? value : String(value)),
                        assumption: assumed[name] || null
                    };
                })
            );
            self.quantity(String(spec.quantity || 1));
            self.otherAssumptions(
                _.filter(spec.assumptions || [], function (a) {
                    return !(spec.params && a.field in spec.params);
                })
            );
        };

        self.specEdited = ko.pureComputed(function () {
            var spec = self.spec();
            if (!spec) return false;
            var changed = _.some(self.paramRows(), function (row) {
                return row.flag ? row.value() !== row.original : row.value() !== String(row.original);
            });
            return changed || self.quantity() !== String(spec.quantity || 1);
        });

        /** Re-run the design from the corrected fields: no language model involved. */
        self.redesign = function () {
            var spec = self.spec();
            var job = self.job();
            if (!spec || !job) return;
            var params = {};
            var edited = {};
            var problems = [];
            _.each(self.paramRows(), function (row) {
                var value = row.flag ? row.value() : Number(String(row.value()).trim());
                if (!row.flag && (String(row.value()).trim() === "" || !isFinite(value))) {
                    problems.push(_.sprintf(gettext("%(field)s must be a number"), {field: row.label}));
                }
                params[row.name] = value;
                if (value !== row.original) edited[row.name] = true;
            });
            var quantity = Number(self.quantity());
            if (!(quantity >= 1) || Math.floor(quantity) !== quantity) {
                problems.push(gettext("quantity must be a whole number from 1"));
            }
            if (problems.length) {
                notify("error", gettext("Please correct the fields"), problems.join("; ") + ".");
                return;
            }
            if (quantity !== spec.quantity) edited.quantity = true;
            self.submit({
                spec: {
                    kind: spec.kind,
                    params: params,
                    material: spec.material,
                    quantity: quantity,
                    // a value the user has now set is no longer an assumption
                    assumptions: _.filter(spec.assumptions || [], function (a) {
                        return !edited[a.field];
                    }),
                    backend: "user",
                    prompt: spec.prompt
                },
                material: job.request.material,
                quality: job.request.quality,
                infill_percent: job.request.infill_percent
            });
        };

        self.resetSpec = function () {
            self._rowsFor = null;
            self._syncParamRows();
        };

        self.report = ko.pureComputed(function () {
            var job = self.job();
            return (job && job.outputs && job.outputs.report) || null;
        });
        self.reportSummary = ko.pureComputed(function () {
            var report = self.report();
            if (!report) return [];
            var rows = [{label: gettext("Size"), value: fmtSize(bboxSize(report))}];
            if (report.volume_mm3 !== undefined) {
                rows.push({label: gettext("Volume"), value: fmtNumber(report.volume_mm3 / 1000, 2) + " cm³"});
            }
            if (report.watertight !== undefined) {
                rows.push({label: gettext("Watertight"), value: report.watertight ? gettext("yes") : gettext("no")});
            }
            if (report.bodies !== undefined) rows.push({label: gettext("Bodies"), value: String(report.bodies)});
            return rows;
        });
        self.checkClass = function (check) {
            return {ok: "aiagent-check-ok", warning: "aiagent-check-warning", error: "aiagent-check-error"}[check.level] || "";
        };
        self.checkIcon = function (check) {
            return {ok: "fas fa-check", warning: "fas fa-exclamation-triangle", error: "fas fa-times-circle"}[check.level] || "";
        };
        self.checkValue = function (check) {
            if (check.value === null || check.value === undefined) return "";
            var value = typeof check.value === "number" ? fmtNumber(check.value, 2) : String(check.value);
            return check.unit ? value + " " + check.unit : value;
        };

        self.gcode = ko.pureComputed(function () {
            var job = self.job();
            return (job && job.outputs && job.outputs.gcode) || null;
        });
        self.gcodeSummary = ko.pureComputed(function () {
            var job = self.job();
            var g = self.gcode();
            if (!g) return [];
            return [
                {label: gettext("Estimated time"), value: fmtSeconds(g.est_time_s)},
                {label: gettext("Filament"), value: fmtNumber(g.filament_mm / 1000, 2) + " m, " + fmtNumber(g.filament_g, 1) + " g"},
                {label: gettext("Layers"), value: g.layer_count + (g.layer_height ? " × " + fmtNumber(g.layer_height, 2) + " mm" : "")},
                {label: gettext("Temperatures"), value: fmtNumber(g.max_nozzle_temp, 0) + " °C / " + fmtNumber(g.max_bed_temp, 0) + " °C " + gettext("bed")},
                {label: gettext("Slicer"), value: job.outputs.slicer || g.generator || "-"},
                {label: gettext("File"), value: job.files.gcode || gettext("not stored")}
            ];
        });
        self.gcodeWarnings = ko.pureComputed(function () {
            var g = self.gcode();
            return (g && g.warnings) || [];
        });

        self.printBlockedReason = function (job) {
            if (!job) return gettext("No job.");
            if (!self.canPrint()) return gettext("You do not have the permission to print designed parts.");
            if (!job.files || !job.files.gcode) return gettext("There is no checked G-code for this job.");
            if (FINAL_STATES.indexOf(job.state) === -1) return _.sprintf(gettext("The job is %(state)s."), {state: job.state});
            if (!self.printerReady()) {
                return _.sprintf(gettext("The printer is not ready (%(state)s)."), {
                    state: self.printerState.stateString() || gettext("not connected")
                });
            }
            return "";
        };
        self.printBlocked = ko.pureComputed(function () {
            return self.printBlockedReason(self.job());
        });

        self.cancel = function () {
            var job = self.job();
            if (!job) return;
            OctoPrint.postJson(API + "jobs/" + job.id + "/cancel", {})
                .done(self.receiveJob)
                .fail(function (xhr) {
                    notify("error", gettext("Could not cancel"), errorText(xhr));
                });
        };

        self.refinePrompt = ko.observable("");
        self.refining = ko.observable(false);
        self.refine = function () {
            var job = self.job();
            var text = self.refinePrompt().trim();
            if (!job || !text || self.refining()) return;
            self.refining(true);
            OctoPrint.postJson(API + "jobs/" + job.id + "/refine", {prompt: text})
                .done(function (newJob) {
                    self.refinePrompt("");
                    self._started(newJob);
                })
                .fail(function (xhr) {
                    notify("error", gettext("Could not refine the design"), errorText(xhr));
                })
                .always(function () {
                    self.refining(false);
                });
        };

        /** OctoPrint's own G-code viewer, on this job's file. */
        self.openInGcodeViewer = function () {
            var job = self.job();
            if (!job || !job.files.gcode || !self.gcodeViewer) return;
            OctoPrint.files
                .get("local", job.files.gcode)
                .done(function (file) {
                    self.gcodeViewer.loadFile(file.path, file.date, file.size, true);
                    $("#gcode_link a").tab("show");
                })
                .fail(function (xhr) {
                    notify("error", gettext("The G-code file is not in OctoPrint's files"), errorText(xhr));
                });
        };
        self.gcodeDownloadUrl = ko.pureComputed(function () {
            var job = self.job();
            return job && job.files.gcode ? OctoPrint.getBaseUrl() + API + "jobs/" + job.id + "/gcode" : null;
        });

        // -- 3D preview ---------------------------------------------------------------------------

        self.showPreview = ko.pureComputed(function () {
            var job = self.job();
            return !!job && (!!job.files.stl || self.jobActive());
        });

        self.viewer = null;
        self.previewMessage = ko.observable("");
        self.previewTriangles = ko.observable(0);
        self._previewFor = null;

        self._ensureViewer = function () {
            if (self.viewer) return self.viewer;
            var container = document.getElementById("aiagent_viewer");
            if (!container || !window.AiAgentViewer) return null;
            if (!window.AiAgentViewer.webglAvailable()) {
                self.previewMessage(gettext("The 3D preview needs WebGL, which this browser does not offer."));
                return null;
            }
            self.viewer = new window.AiAgentViewer.Viewer(container);
            var st = self.status();
            if (st) self.viewer.setBed(st.printer_profile);
            return self.viewer;
        };

        self._syncPreview = function () {
            var job = self.job();
            var stl = job && job.files && job.files.stl;
            var key = stl ? job.id + ":" + stl : null;
            if (!self.tabActive() || key === self._previewFor) return;
            var viewer = self._ensureViewer();
            if (!viewer) return;
            self._previewFor = key;
            viewer.resize();
            if (!stl) {
                viewer.clearModel();
                self.previewTriangles(0);
                self.previewMessage(job && self.jobActive() ? gettext("The model appears here once it is designed.") : "");
                return;
            }
            self.previewMessage(gettext("Loading the model..."));
            window.AiAgentViewer.fetchStl(OctoPrint.getBaseUrl() + API + "jobs/" + job.id + "/model.stl", OctoPrint.getRequestHeaders("GET"))
                .then(function (model) {
                    if (self._previewFor !== key) return; // another job was opened meanwhile
                    viewer.setModel(model);
                    self.previewTriangles(model.triangles);
                    self.previewMessage("");
                })
                .catch(function (error) {
                    if (self._previewFor !== key) return;
                    self._previewFor = null;
                    self.previewMessage(_.sprintf(gettext("The preview could not be shown: %(reason)s"), {reason: error.message}));
                });
        };

        // -- jobs from the server ----------------------------------------------------------------

        self.showJob = function (job) {
            self.job(job);
            self.view("design");
        };

        // The newest version of each job seen: a push can overtake the answer to the request that
        // started the job, and an older version must never replace a newer one.
        self._latest = {};
        self._newest = function (job) {
            var known = self._latest[job.id];
            if (known && known.updated > job.updated) return known;
            self._latest[job.id] = job;
            return job;
        };

        /** A job version from a push or an answer; returns the newest version known. */
        self.receiveJob = function (job) {
            var known = self._latest[job.id];
            if (self._newest(job) !== job) return known;
            self._clockStage(job);
            var previous = self._findInHistory(job.id);
            if (previous) {
                self.history.replace(previous, job);
            } else if (!self.historyLoading()) {
                self.history.unshift(job);
                self.historyTotal(self.historyTotal() + 1);
            }
            var current = self.job();
            if (current && current.id === job.id) self.job(job);
            if (self.mine[job.id] && (!known || known.state !== job.state)) self._notifyState(job);
            self._updateTicker();
            return job;
        };

        /** A job this page started: show its newest version, and tell what pushes already said. */
        self._started = function (job) {
            self.mine[job.id] = true;
            var newest = self.receiveJob(job);
            self.showJob(newest);
            if (newest !== job) self._notifyState(newest);
        };

        self._clockStage = function (job) {
            var clock = (self.stageClock[job.id] = self.stageClock[job.id] || {});
            var now = Date.now();
            var stage = job.state === "printing" ? "printing" : job.stage;
            _.each(clock, function (c, name) {
                if (!c.end && name !== stage) c.end = now;
            });
            if (stage && STAGES.indexOf(stage) !== -1 && !clock[stage]) clock[stage] = {start: now};
        };

        self._notifyState = function (job) {
            var what = (job.outputs && job.outputs.spec && humanName(job.outputs.spec.kind)) || gettext("part");
            if (job.state === "ready") {
                notify("success", gettext("Ready to print"), _.sprintf(gettext("The %(what)s is designed, checked and sliced."), {what: what}));
            } else if (job.state === "done") {
                notify("success", gettext("Print finished"), _.sprintf(gettext("The %(what)s has printed."), {what: what}));
            } else if (job.state === "failed") {
                var err = job.error || {};
                notify(
                    "error",
                    _.sprintf(gettext("Failed while %(stage)s"), {stage: err.stage || job.stage}),
                    sentence(err.message || job.message) + (err.hint ? " " + sentence(err.hint) : "")
                );
            }
        };

        self._ticker = null;
        self._updateTicker = function () {
            var running = self.jobActive();
            if (running && self._ticker === null) {
                self._ticker = setInterval(function () {
                    self.now(Date.now());
                }, 250);
            } else if (!running && self._ticker !== null) {
                clearInterval(self._ticker);
                self._ticker = null;
            }
        };

        // -- history ------------------------------------------------------------------------------

        self.history = ko.observableArray([]);
        self.historyTotal = ko.observable(0);
        self.historyLoading = ko.observable(false);
        self.historyError = ko.observable("");

        self._findInHistory = function (id) {
            return _.find(self.history(), function (j) {
                return j.id === id;
            });
        };

        self.loadHistory = function (more) {
            if (self.historyLoading()) return;
            var offset = more ? self.history().length : 0;
            self.historyLoading(true);
            OctoPrint.get(API + "jobs?offset=" + offset + "&limit=" + HISTORY_PAGE)
                .done(function (page) {
                    self.historyError("");
                    self.historyTotal(page.total);
                    page.jobs = page.jobs.map(self._newest);
                    if (more) {
                        var known = _.pluck(self.history(), "id");
                        self.history.push.apply(self.history, _.filter(page.jobs, function (j) {
                            return known.indexOf(j.id) === -1;
                        }));
                    } else {
                        self.history(page.jobs);
                        if (!self.job() && page.jobs.length) self.job(page.jobs[0]);
                    }
                })
                .fail(function (xhr) {
                    self.historyError(errorText(xhr));
                })
                .always(function () {
                    self.historyLoading(false);
                });
        };
        self.hasMoreHistory = ko.pureComputed(function () {
            return self.history().length < self.historyTotal();
        });

        self.jobTitle = function (job) {
            var spec = job.outputs && job.outputs.spec;
            return job.request.prompt || (spec && spec.prompt) || (spec ? humanName(spec.kind) : gettext("(no prompt)"));
        };
        self.jobSize = function (job) {
            return fmtSize(bboxSize(job.outputs && job.outputs.report));
        };
        self.jobWhen = function (job) {
            return formatDate(job.created);
        };
        self.jobIsActive = function (job) {
            return FINAL_STATES.indexOf(job.state) === -1;
        };

        self.deleteJob = function (job) {
            self.confirm({
                title: gettext("Delete this job?"),
                lines: [
                    {label: gettext("Job"), value: self.jobTitle(job)},
                    {label: gettext("Files"), value: _.values(job.files || {}).join(", ") || gettext("none")}
                ],
                question: gettext("The job and its files in OctoPrint's storage are deleted."),
                proceed: gettext("Delete"),
                proceedClass: "btn-danger",
                onProceed: function () {
                    OctoPrint.delete(API + "jobs/" + job.id + "?files=1")
                        .done(function () {
                            self.history.remove(function (j) {
                                return j.id === job.id;
                            });
                            self.historyTotal(Math.max(0, self.historyTotal() - 1));
                            if (self.job() && self.job().id === job.id) self.job(null);
                        })
                        .fail(function (xhr) {
                            notify("error", gettext("Could not delete the job"), errorText(xhr));
                        });
                }
            });
        };

        // -- confirmation dialog (text bindings only) ---------------------------------------------

        self.dialog = ko.observable(null);
        self.confirm = function (options) {
            self.dialog(options);
            $("#aiagent_dialog").modal("show");
        };
        self.dialogProceed = function () {
            var options = self.dialog();
            $("#aiagent_dialog").modal("hide");
            if (options && options.onProceed) options.onProceed();
        };

        self.askToPrint = function (job) {
            job = job && job.id ? job : self.job();
            var reason = self.printBlockedReason(job);
            if (reason) {
                notify("notice", gettext("Cannot print now"), reason);
                return;
            }
            var g = (job.outputs && job.outputs.gcode) || {};
            self.confirm({
                title: gettext("Print this part?"),
                lines: [
                    {label: gettext("File"), value: job.files.gcode},
                    {label: gettext("Material"), value: job.request.material + ", " + job.request.quality},
                    {label: gettext("Nozzle"), value: fmtNumber(g.max_nozzle_temp, 0) + " °C"},
                    {label: gettext("Bed"), value: fmtNumber(g.max_bed_temp, 0) + " °C"},
                    {label: gettext("Estimated time"), value: fmtSeconds(g.est_time_s) || "-"}
                ],
                question: gettext("Check that the bed is clear and the right filament is loaded."),
                proceed: gettext("Print"),
                proceedClass: "btn-primary",
                onProceed: function () {
                    self.startPrint(job);
                }
            });
        };

        self.startPrint = function (job) {
            self.mine[job.id] = true;
            OctoPrint.postJson(API + "jobs/" + job.id + "/print", {})
                .done(function (printing) {
                    var newest = self.receiveJob(printing);
                    if (!self.job() || self.job().id !== newest.id) self.job(newest);
                })
                .fail(function (xhr) {
                    notify("error", gettext("The print did not start"), errorText(xhr));
                });
        };

        // -- status and settings ------------------------------------------------------------------

        self.loadStatus = function () {
            return OctoPrint.get(API + "status")
                .done(function (st) {
                    self.statusError("");
                    self.status(st);
                    if (self.viewer) self.viewer.setBed(st.printer_profile);
                })
                .fail(function (xhr) {
                    self.statusError(errorText(xhr));
                });
        };

        self.slicerOptions = ko.pureComputed(function () {
            var found = (self.status() && self.status().slicers.found) || {};
            var label = function (name, title) {
                if (name === "auto" || name === "builtin") return title;
                return title + " (" + (found[name] ? _.sprintf(gettext("found: %(path)s"), {path: found[name]}) : gettext("not found")) + ")";
            };
            return [
                {value: "auto", text: label("auto", gettext("Automatic: the best one found"))},
                {value: "prusaslicer", text: label("prusaslicer", "PrusaSlicer")},
                {value: "curaengine", text: label("curaengine", "CuraEngine")},
                {value: "builtin", text: label("builtin", gettext("Built-in slicer (always available)"))}
            ];
        });

        self.apiKeyInput = ko.observable("");
        self.clearApiKey = ko.observable(false);
        self.connectionTesting = ko.observable(false);
        self.connectionResult = ko.observable(null);
        self.materialOverrides = ko.observableArray([]);
        self._overridesLoaded = false;

        self.testConnection = function () {
            var llm = self.pluginSettings.llm;
            var body = {backend: llm.backend(), base_url: llm.base_url(), model: llm.model()};
            if (self.apiKeyInput()) body.api_key = self.apiKeyInput();
            self.connectionTesting(true);
            self.connectionResult(null);
            OctoPrint.postJson(API + "llm/test", body)
                .done(function (result) {
                    self.connectionResult({
                        ok: !!result.ok,
                        reachable: !!result.reachable,
                        message: result.message || "",
                        models: result.models || []
                    });
                })
                .fail(function (xhr) {
                    self.connectionResult({ok: false, reachable: false, message: errorText(xhr), models: []});
                })
                .always(function () {
                    self.connectionTesting(false);
                });
        };
        self.useModel = function (name) {
            self.pluginSettings.llm.model(name);
        };

        self._loadMaterialOverrides = function () {
            var saved = ko.mapping.toJS(self.pluginSettings.materials) || {};
            var presets = (self.status() && self.status().materials) || {};
            var names = _.union(_.keys(presets), _.keys(saved));
            self.materialOverrides(
                names.map(function (name) {
                    var mine = saved[name] || {};
                    var preset = presets[name] || {};
                    var field = function (key) {
                        var v = mine[key];
                        return ko.observable(v === null || v === undefined ? "" : String(v));
                    };
                    return {
                        name: name,
                        nozzle_temp: field("nozzle_temp"),
                        bed_temp: field("bed_temp"),
                        nozzlePreset: preset.nozzle_temp === undefined ? "" : String(preset.nozzle_temp),
                        bedPreset: preset.bed_temp === undefined ? "" : String(preset.bed_temp)
                    };
                })
            );
            self._overridesLoaded = true;
        };

        self.onSettingsShown = function () {
            self.apiKeyInput("");
            self.clearApiKey(false);
            self.connectionResult(null);
            self.loadStatus().always(self._loadMaterialOverrides);
        };

        self.onSettingsBeforeSave = function () {
            var ps = self.pluginSettings;
            var llm = ps.llm;
            // number inputs give strings; the server expects numbers
            _.each([ps.infill_percent, ps.slicer_timeout, ps.max_prompt_chars, llm.timeout], function (field) {
                var n = Number(field());
                if (String(field()).trim() !== "" && isFinite(n)) field(n);
            });
            // The key is write-only: sent only when typed, and removed from the page once sent.
            if (self.clearApiKey()) {
                llm.clear_api_key = ko.observable(true);
            } else if (self.apiKeyInput()) {
                llm.api_key = ko.observable(self.apiKeyInput());
            }
            setTimeout(self._forgetApiKey, 0);
            if (!self._overridesLoaded) return;
            var overrides = {};
            _.each(self.materialOverrides(), function (row) {
                var number = function (text) {
                    text = String(text).trim();
                    return text === "" || isNaN(Number(text)) ? null : Number(text);
                };
                // null (not absent) clears an override: OctoPrint merges saved settings
                overrides[row.name] = {nozzle_temp: number(row.nozzle_temp()), bed_temp: number(row.bed_temp())};
            });
            self.pluginSettings.materials = ko.mapping.fromJS(overrides);
        };

        self._forgetApiKey = function () {
            delete self.pluginSettings.llm.api_key;
            delete self.pluginSettings.llm.clear_api_key;
            self.apiKeyInput("");
            self.clearApiKey(false);
        };

        // -- OctoPrint callbacks ------------------------------------------------------------------

        self.onStartup = function () {
            // Bootstrap 2 modals must sit at the top of the page to stack above the backdrop.
            $("#aiagent_dialog").appendTo("body");
        };

        self.onBeforeBinding = function () {
            self.pluginSettings = self.settings.settings.plugins.aiagent;
            self.material(self.pluginSettings.default_material());
            self.quality(self.pluginSettings.default_quality());
        };

        self.onAllBound = function () {
            self.job.subscribe(self._syncParamRows);
            self.job.subscribe(self._syncPreview);
            self.job.subscribe(self._updateTicker);
            self.view.subscribe(self.perf.update);
            self.view.subscribe(function () {
                setTimeout(self.perf.draw, 0);
            });
            if (self.canDesign()) self.refresh();
        };

        self.refresh = function () {
            self.loadStatus();
            self.loadHistory(false);
        };

        self.onUserLoggedIn = function () {
            if (self.canDesign()) self.refresh();
        };

        self.onTabChange = function (current) {
            self.tabActive(current === "#tab_plugin_aiagent");
            self.perf.update();
        };

        self.onAfterTabChange = function (current) {
            if (current !== "#tab_plugin_aiagent") return;
            self._syncPreview();
            if (self.viewer) self.viewer.resize();
            self.perf.draw();
        };

        self.onBrowserTabVisibilityChange = function () {
            self.perf.update();
        };

        self.onDataUpdaterPluginMessage = function (plugin, data) {
            if (plugin !== PLUGIN || !data || data.type !== "job" || !data.job) return;
            self.receiveJob(data.job);
        };

        self.onDataUpdaterReconnect = function () {
            if (self.canDesign()) self.refresh(); // pushes may have been missed while disconnected
        };

        self.showDesign = function () {
            self.view("design");
        };
        self.showHistory = function () {
            self.view("history");
        };
        self.showPerformance = function () {
            self.view("performance");
        };

        self.perf = new PerformanceView(self);
    }

    OCTOPRINT_VIEWMODELS.push({
        construct: AiAgentViewModel,
        dependencies: ["loginStateViewModel", "settingsViewModel", "printerStateViewModel", "accessViewModel", "gcodeViewModel"],
        optional: ["gcodeViewModel"],
        elements: ["#tab_plugin_aiagent", "#settings_plugin_aiagent", "#aiagent_dialog"]
    });
});
