/*
 * AI Agent: the editable spec of the current job; correct a field and design again.
 *
 * Plain script: adds AiAgent.addSpecEditor (window.AiAgent, see aiagent_format.js). The tab's
 * template binds these names on the tab's view model, so they are added to it rather than kept in
 * an object of their own. Needs from the view model: job, spec and submit.
 */
(function (AA) {
    "use strict";

    var humanName = AA.humanName;
    var paramUnit = AA.paramUnit;
    var notify = AA.notify;

    AA.addSpecEditor = function (self) {
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
                quality: job.request.quality,
                infill_percent: job.request.infill_percent
            });
        };

        self.resetSpec = function () {
            self._rowsFor = null;
            self._syncParamRows();
        };
    };
})((window.AiAgent = window.AiAgent || {}));
