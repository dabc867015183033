/*
 * AI Agent tab and settings: one Knockout view model, registered with OctoPrint here.
 *
 * Its parts live in the files plugin.py lists before this one, on window.AiAgent: shared names and
 * formatting (aiagent_format.js), the Performance view (aiagent_performance.js), the part's tree
 * (aiagent_tree.js) and its editor (aiagent_spec.js), the History view (aiagent_history.js) and
 * the settings page (aiagent_settings.js); the 3D preview is window.AiAgentViewer
 * (aiagent_viewer.js).
 *
 * Every request goes through OctoPrint's JS client (OctoPrint.get/postJson/delete), which adds the
 * session's CSRF token or API key. Job updates are pushed by the server as plugin messages
 * {type: "job", job}. User and model text is only ever shown through `text:` bindings or
 * PNotify with escaping on: nothing here builds HTML from data.
 */
$(function () {
    "use strict";

    var AA = window.AiAgent;
    var PLUGIN = AA.PLUGIN;
    var API = AA.API;
    var STAGES = AA.STAGES;
    var FINAL_STATES = AA.FINAL_STATES;
    var fmtNumber = AA.fmtNumber;
    var fmtSeconds = AA.fmtSeconds;
    var bboxSize = AA.bboxSize;
    var fmtSize = AA.fmtSize;
    var sentence = AA.sentence;
    var errorText = AA.errorText;
    var notify = AA.notify;
    // While the tab is on screen it asks for /status this often, with the ETag of the last answer:
    // an unchanged answer is a 304 without a body (a problem such as a job history that cannot be
    // saved shows within this time).
    var STATUS_POLL_MS = 10000;

    // -- the view model ---------------------------------------------------------------------------

    function AiAgentViewModel(parameters) {
        var self = this;
        self.loginState = parameters[0];
        self.settings = parameters[1];
        self.printerState = parameters[2];
        self.access = parameters[3];
        self.gcodeViewer = parameters[4]; // optional: null when the G-code viewer plugin is disabled
        self.temperatures = parameters[5]; // optional: the printing stage says what it heats

        self.pluginSettings = null;
        self.view = ko.observable("design");
        self.tabActive = ko.observable(false);
        self.status = ko.observable(null);
        self.statusError = ko.observable("");
        // The job history cannot be saved: the server's reason, or "" (new jobs are refused meanwhile).
        self.jobsProblem = ko.pureComputed(function () {
            var st = self.status();
            return (st && st.jobs_problem) || "";
        });
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

        // "" = as the request's words say, else the default material: the server decides, with the spec.
        self.materialChoices = ko.pureComputed(function () {
            var st = self.status();
            var presets = (st && st.materials) || {};
            var fallback = presets[st && st.default_material];
            var first = {
                value: "",
                label: fallback ? _.sprintf(gettext("As the request says (else %(material)s)"), {material: fallback.label}) : gettext("As the request says")
            };
            return [first].concat(
                Object.keys(presets).map(function (name) {
                    return {value: name, label: presets[name].label};
                })
            );
        });
        self.materials = ko.pureComputed(function () {
            var st = self.status();
            return st && st.materials ? Object.keys(st.materials) : [];
        });
        self.materialLabel = function (name) {
            var st = self.status();
            var preset = st && st.materials && st.materials[name];
            return preset ? preset.label : name || "";
        };
        // coarse to fine, by layer height: the order of the words, not of the alphabet
        self.qualities = ko.pureComputed(function () {
            var st = self.status();
            if (!st || !st.qualities) return _.compact([self.pluginSettings && self.pluginSettings.default_quality()]);
            return _.sortBy(Object.keys(st.qualities), function (name) {
                return -st.qualities[name].layer_height;
            });
        });
        self.qualityLabel = function (name) {
            var st = self.status();
            var q = st && st.qualities && st.qualities[name];
            return q ? _.sprintf(gettext("%(name)s (%(height)s mm)"), {name: name, height: fmtNumber(q.layer_height, 2)}) : name;
        };
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
            var st = self.status();
            var designs = !(st && st.design_unavailable); // the tab's banner says why not
            return designs && self.canDesign() && !self.submitting() && self.prompt().trim().length > 0;
        });

        self.promptKeydown = function (data, event) {
            if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
                self.design();
                return false;
            }
            return true; // let the textarea have every other key
        };

        // Why the last request was refused, under the prompt: the user is looking there, so it is
        // said there and not in a notification.
        self.submitError = ko.observable("");
        self.prompt.subscribe(function () {
            self.submitError("");
        });

        self.design = function () {
            if (!self.canSubmit()) return;
            self.submit({
                prompt: self.prompt().trim(),
                material: self.material() || undefined,
                quality: self.quality(),
                print: self.canPrint() && self.printWhenReady()
            });
        };

        /** POST jobs; a refusal goes to onRefused(xhr), by default under the prompt. */
        self.submit = function (body, onRefused) {
            self.submitting(true);
            self.submitError("");
            return OctoPrint.postJson(API + "jobs", _.omit(body, _.isUndefined))
                .done(self._started)
                .fail(function (xhr) {
                    (onRefused ||
                        function () {
                            self.submitError(_.sprintf(gettext("The design was not started: %(reason)s"), {reason: errorText(xhr)}));
                        })(xhr);
                    if (xhr.status === 503) self.loadStatus(); // e.g. the job history cannot be saved: show it
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
                var printing = stage === "printing";
                var progress = printing ? self.printFraction(job) : job.progress;
                return {
                    name: stage,
                    status: status,
                    time: status === "pending" || status === "skipped" ? "" : fmtSeconds(seconds),
                    progress: status === "running" ? Math.round((progress || 0) * 1000) / 10 : null,
                    caption: printing && status === "running" ? self.printCaption() : ""
                };
            });
        });

        self.sentence = sentence;

        // -- the print: OctoPrint's own progress, finer than the whole percents the server keeps -

        /** True while OctoPrint prints (or holds paused) the current job's own file. */
        self.printingThisJob = ko.pureComputed(function () {
            var job = self.job();
            var ps = self.printerState;
            return !!job && job.state === "printing" && !!job.files.gcode && ps.filepath() === job.files.gcode && (ps.isPrinting() || ps.isPaused());
        });

        self.printFraction = function (job) {
            if (self.printingThisJob()) return (self.printerState.progress() || 0) / 100;
            return job.print_progress;
        };

        /** "heating: nozzle 150 of 210 °C", then "37 %, 12 min left": a print starts with minutes of
         * heating, during which its progress stays at 0. */
        self.printCaption = ko.pureComputed(function () {
            if (!self.printingThisJob()) return "";
            var ps = self.printerState;
            var heating = (ps.progress() || 0) < 1 ? self._heating() : [];
            if (heating.length) return _.sprintf(gettext("heating: %(what)s"), {what: heating.join(", ")});
            var parts = [fmtNumber(ps.progress() || 0, 0) + " %"];
            if (ps.printTimeLeft()) parts.push(_.sprintf(gettext("%(time)s left"), {time: fmtSeconds(ps.printTimeLeft())}));
            if (ps.isPaused()) parts.push(gettext("paused"));
            return parts.join(", ");
        });

        self._heating = function () {
            var t = self.temperatures;
            if (!t) return [];
            var below = function (entry, name) {
                var target = entry && entry.target();
                if (!target || entry.actual() >= target - 3) return [];
                return [_.sprintf(gettext("%(name)s %(actual)s of %(target)s °C"), {name: name, actual: fmtNumber(entry.actual(), 0), target: fmtNumber(target, 0)})];
            };
            return below(t.tools()[0], gettext("nozzle")).concat(t.hasBed() ? below(t.bedTemp, gettext("bed")) : []);
        };

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

        AA.addSpecEditor(self); // partWords, specRows, specEdited, redesign, resetSpec

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
        self.refineError = ko.observable(""); // shown under the field, where the user typed
        self.refinePrompt.subscribe(function () {
            self.refineError("");
        });
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
                    self.refineError(errorText(xhr));
                })
                .always(function () {
                    self.refining(false);
                });
        };

        // -- OctoPrint's own G-code viewer, on this job's file ---------------------------------
        // The viewer shows the printer's selected file and follows each change of it: a file
        // loaded into it directly is replaced by the selected one at OctoPrint's next push. So
        // the job's file is selected first, without printing; the viewer then loads it.

        /** Why the viewer cannot show this job's file now, or "". */
        self.gcodeViewerBlocked = ko.pureComputed(function () {
            var job = self.job();
            var ps = self.printerState;
            if (!job || !job.files.gcode || ps.filepath() === job.files.gcode) return "";
            if (ps.isPrinting() || ps.isPaused()) {
                return gettext("OctoPrint's G-code viewer shows the file being printed; it can show this one once the print has ended.");
            }
            return "";
        });

        self.openInGcodeViewer = function () {
            var job = self.job();
            if (!job || !job.files.gcode || !self.gcodeViewer || self.gcodeViewerBlocked()) return;
            var path = job.files.gcode;
            var show = function () {
                $("#gcode_link a").tab("show");
            };
            if (self.printerState.filepath() === path) {
                show();
            } else if (!self.printerState.isOperational()) {
                // Without a printer nothing can be selected, and nothing replaces a file loaded
                // into the viewer directly.
                OctoPrint.files
                    .get("local", path)
                    .done(function (file) {
                        self.gcodeViewer.loadFile(file.path, file.date, file.size, true);
                        show();
                    })
                    .fail(function (xhr) {
                        notify("error", gettext("The G-code file is not in OctoPrint's files"), errorText(xhr));
                    });
            } else {
                OctoPrint.files
                    .select("local", path, false)
                    .done(function () {
                        self._whenSelected(path, show);
                    })
                    .fail(function (xhr) {
                        notify("error", gettext("OctoPrint could not select the G-code file"), errorText(xhr));
                    });
            }
        };

        /** Calls `then` once OctoPrint's push says `path` is selected, after every view model
         * (the viewer among them) has handled that push. */
        self._whenSelected = function (path, then) {
            if (self.printerState.filepath() === path) {
                setTimeout(then, 0); // the push came before the answer, and has been handled
                return;
            }
            var subscription = self.printerState.filepath.subscribe(function (selected) {
                if (selected !== path) return;
                subscription.dispose();
                setTimeout(then, 0);
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

        /** The user sees this job's state on the page: the tab, its Design view and this job are
         * on screen. Then the page says it, and a notification would only cover it. */
        self._watching = function (job) {
            var current = self.job();
            return document.visibilityState === "visible" && self.tabActive() && self.view() === "design" && !!current && current.id === job.id;
        };

        self._notifyState = function (job) {
            if (self._watching(job)) return;
            var spec = job.outputs && job.outputs.spec;
            var what = spec && self.partWords() ? AA.partName(spec, self.partWords()) : gettext("part");
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

        AA.addHistory(self); // history, loadHistory, jobTitle, deleteJob, ...

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
                    {label: gettext("Material"), value: self.materialLabel(g.material || (job.outputs.spec || {}).material) + ", " + job.request.quality},
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

        self._statusEtag = null;
        self.loadStatus = function () {
            var headers = self._statusEtag ? {"If-None-Match": self._statusEtag} : {};
            return OctoPrint.get(API + "status", {headers: headers})
                .done(function (st, textStatus, xhr) {
                    self.statusError("");
                    if (xhr.status === 304) return; // unchanged since the last answer
                    self._statusEtag = xhr.getResponseHeader("ETag");
                    self.status(st);
                    if (self.viewer) self.viewer.setBed(st.printer_profile);
                })
                .fail(function (xhr) {
                    self.statusError(errorText(xhr));
                });
        };

        self._statusTimer = null;
        /** Poll /status only while the tab is on screen, for someone who may design. */
        self._updateStatusPoll = function () {
            var poll = self.tabActive() && !document.hidden && self.canDesign();
            if (poll && self._statusTimer === null) {
                self._statusTimer = setInterval(self.loadStatus, STATUS_POLL_MS);
            } else if (!poll && self._statusTimer !== null) {
                clearInterval(self._statusTimer);
                self._statusTimer = null;
            }
        };

        AA.addSettings(self); // slicerOptions, testConnection, API key, material overrides

        // -- OctoPrint callbacks ------------------------------------------------------------------

        self.onStartup = function () {
            // Bootstrap 2 modals must sit at the top of the page to stack above the backdrop.
            $("#aiagent_dialog").appendTo("body");
        };

        self.onBeforeBinding = function () {
            self.pluginSettings = self.settings.settings.plugins.aiagent;
            self.material("");
            self.quality(self.pluginSettings.default_quality());
        };

        self.onAllBound = function () {
            self.job.subscribe(self._syncSpecRows);
            self.partWords.subscribe(self._syncSpecRows);
            self.job.subscribe(self._syncPreview);
            // jobActive, not job: read in a subscriber of job, jobActive can still hold the
            // previous job's answer (its own subscription to job may come later in the list)
            self.jobActive.subscribe(self._updateTicker);
            self.view.subscribe(self.perf.update);
            self.view.subscribe(function () {
                setTimeout(self.perf.draw, 0);
            });
            if (self.canDesign()) self.refresh();
        };

        self.refresh = function () {
            self.loadStatus();
            self.loadPartWords();
            self.loadHistory(false);
        };

        self.onUserLoggedIn = function () {
            if (self.canDesign()) self.refresh();
            self._updateStatusPoll();
        };

        self.onUserLoggedOut = function () {
            self._updateStatusPoll();
        };

        self.onTabChange = function (current) {
            var active = current === "#tab_plugin_aiagent";
            if (active && !self.tabActive() && self.canDesign()) self.loadStatus(); // a 304 if nothing changed
            self.tabActive(active);
            self.perf.update();
            self._updateStatusPoll();
        };

        self.onAfterTabChange = function (current) {
            if (current !== "#tab_plugin_aiagent") return;
            self._syncPreview();
            if (self.viewer) self.viewer.resize();
            self.perf.draw();
        };

        self.onBrowserTabVisibilityChange = function () {
            self.perf.update();
            self._updateStatusPoll();
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

        self.perf = new AA.PerformanceView(self);
    }

    OCTOPRINT_VIEWMODELS.push({
        construct: AiAgentViewModel,
        dependencies: ["loginStateViewModel", "settingsViewModel", "printerStateViewModel", "accessViewModel", "gcodeViewModel", "temperatureViewModel"],
        optional: ["gcodeViewModel", "temperatureViewModel"],
        elements: ["#tab_plugin_aiagent", "#settings_plugin_aiagent", "#aiagent_dialog"]
    });
});
