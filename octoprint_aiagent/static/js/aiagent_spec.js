/*
 * AI Agent: "What I understood", the current job's part as a tree whose numbers can be changed
 * in place; designing again sends the edited spec, without the language model.
 *
 * Plain script: adds AiAgent.addSpecEditor (window.AiAgent, see aiagent_format.js). The tab's
 * template binds these names on the tab's view model, so they are added to it rather than kept in
 * an object of their own. Needs from the view model: job, spec, report and submit. The rows come
 * from AiAgent.partRows (aiagent_tree.js), with the part language's definitions (GET language).
 */
(function (AA) {
    "use strict";

    var API = AA.API;
    var errorText = AA.errorText;
    var humanName = AA.humanName;

    function shown(value) {
        return String(Number(Number(value).toFixed(3)));
    }

    AA.addSpecEditor = function (self) {
        self.partWords = ko.observable(null);
        self.specRows = ko.observableArray([]);
        self.otherAssumptions = ko.observableArray([]);
        self.materialAssumption = ko.observable(null);
        self.otherApplied = ko.observableArray([]);
        self.quantity = ko.observable("");
        self.specError = ko.observable(""); // why the edited values were refused, shown by the tree
        self.specErrorPath = ko.observable(""); // the document path that message names, if any
        self._rowsFor = null;

        self.loadPartWords = function () {
            if (self.partWords()) return;
            OctoPrint.get(API + "language")
                .done(self.partWords)
                .fail(function (xhr) {
                    self.specError(_.sprintf(gettext("The part's tree cannot be shown: %(reason)s"), {reason: errorText(xhr)}));
                });
        };

        /** Rebuild the rows only when the spec itself changes, so edits survive pushes. */
        self._syncSpecRows = function () {
            var spec = self.spec();
            var words = self.partWords();
            var report = self.report();
            var applied = (report && report.applied) || [];
            var key = spec && words ? self.job().id + ":" + JSON.stringify([spec, applied]) : null;
            if (key === self._rowsFor) return;
            self._rowsFor = key;
            self.specError("");
            self.specErrorPath("");
            if (!key) {
                self.specRows([]);
                self.otherAssumptions([]);
                self.materialAssumption(null);
                self.otherApplied([]);
                return;
            }
            var tree = AA.partRows(spec, words, applied);
            self.specRows(tree.rows.map(function (row) {
                if (row.node) return row;
                row.value = ko.observable(shown(row.original));
                row.edited = ko.pureComputed(function () {
                    return row.value().trim() !== shown(row.original);
                });
                row.invalid = ko.pureComputed(function () {
                    return self.specErrorPath() === row.path;
                });
                return row;
            }));
            // the material is a row of its own, beside the part's numbers
            self.materialAssumption(_.find(tree.otherAssumptions, {field: "material"}) || null);
            self.otherAssumptions(_.reject(tree.otherAssumptions, {field: "material"}));
            self.otherApplied(tree.otherApplied);
            self.quantity(String(spec.quantity || 1));
        };

        self.assumptionText = function (a) {
            return humanName(a.field) + " " + a.value + ": " + a.reason;
        };

        self.specFields = function () {
            return _.reject(self.specRows(), "node");
        };

        self.specEdited = ko.pureComputed(function () {
            var spec = self.spec();
            if (!spec) return false;
            var changed = _.some(self.specFields(), function (row) {
                return row.edited();
            });
            return changed || self.quantity().trim() !== String(spec.quantity || 1);
        });

        /** The field a server's message is about ("part.features[0].hole.diameter is 0 mm; ..."):
         * the one whose path the message starts with, or null. */
        self._fieldIn = function (message) {
            return _.find(self.specFields(), function (row) {
                return message.indexOf(row.path) === 0 && !/[\w[.]/.test(message.charAt(row.path.length));
            }) || null;
        };

        /** A refusal said in the tree's words ("hole diameter is 0 mm; ..."), its field marked. */
        self._refused = function (xhr) {
            var message = (xhr.responseJSON && xhr.responseJSON.error) || "";
            var field = self._fieldIn(message);
            self.specErrorPath(field ? field.path : "");
            if (field) message = field.owner + " " + field.label + message.slice(field.path.length);
            self.specError(message ? AA.sentence(message) : errorText(xhr));
        };

        self.redesign = function () {
            var spec = self.spec();
            var job = self.job();
            if (!spec || !job) return;
            var part = JSON.parse(JSON.stringify(spec.part));
            var edited = {};
            var problem = null;
            _.each(self.specFields(), function (row) {
                if (!row.edited()) return;
                var text = row.value().trim();
                var value = Number(text);
                if (text === "" || !isFinite(value)) {
                    problem = problem || {path: row.path, message: _.sprintf(gettext("%(field)s must be a number"), {field: row.label})};
                    return;
                }
                var keys = row.keys;
                var target = keys.slice(0, -1).reduce(function (node, key) {
                    return node[key];
                }, part);
                target[keys[keys.length - 1]] = value;
                edited[row.short] = true;
            });
            var quantity = Number(self.quantity().trim());
            if (!problem && (!(quantity >= 1) || Math.floor(quantity) !== quantity)) {
                problem = {path: "", message: gettext("quantity must be a whole number from 1")};
            }
            if (problem) {
                self.specErrorPath(problem.path);
                self.specError(AA.sentence(problem.message));
                return;
            }
            if (quantity !== spec.quantity) edited.quantity = true;
            self.specError("");
            self.specErrorPath("");
            self.submit(
                {
                    spec: {
                        part: part,
                        material: spec.material,
                        quantity: quantity,
                        // a value the user has now set is neither assumed nor what the request said
                        assumptions: _.filter(spec.assumptions || [], function (a) {
                            return !edited[a.field];
                        }),
                        roles: _.filter(spec.roles || [], function (r) {
                            return !edited[r.path];
                        }),
                        backend: "user",
                        prompt: spec.prompt
                    },
                    quality: job.request.quality,
                    infill_percent: job.request.infill_percent
                },
                self._refused
            );
        };

        self.resetSpec = function () {
            self._rowsFor = null;
            self._syncSpecRows();
        };
    };
})((window.AiAgent = window.AiAgent || {}));
