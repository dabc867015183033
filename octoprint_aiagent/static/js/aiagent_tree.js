/*
 * AI Agent: a part document as the rows of a short tree, for "What I understood".
 *
 * Plain script: adds AiAgent.partRows, partName and partSummary (window.AiAgent, see
 * aiagent_format.js). Pure functions of the spec and the part language's definitions (GET
 * language, model/glossary.py): a node row per solid, feature, pattern and sketch ("hole, on the
 * front"), then a field row per number it holds (its sizes and its position), each with the
 * document path the server's messages name ("part.features[0].hole.diameter"), what the request
 * said for it (the spec's roles) and why it was assumed (its assumptions).
 */
(function (AA) {
    "use strict";

    var humanName = AA.humanName;
    var NUMBER_KINDS = ["length", "length0", "number", "count", "angle"];
    var NODE_KINDS = {sketch: "sketch", sketches: "sketch", solid: "solid", solids: "solid", pattern: "pattern"};
    var VECTORS = ["vector2", "vector3", "size3"];

    /** "part" + ["features", 0, "hole"] -> "part.features[0].hole" */
    function pathOf(keys) {
        return keys.reduce(function (path, key) {
            return typeof key === "number" ? path + "[" + key + "]" : path + "." + key;
        }, "part");
    }

    /** The spec's short form of a path (spec.py, assumption_field): a root parameter by its name
     * ("length"), anything deeper without "part." ("features[0].hole.diameter"). */
    function shortPath(keys, rootTypes) {
        var inside = pathOf(keys).slice("part.".length);
        if (keys.length === 2 && typeof keys[1] === "string" && rootTypes[keys[0]]) return keys[1];
        return inside;
    }

    function typeOf(node, table) {
        if (!node || typeof node !== "object" || Array.isArray(node)) return null;
        return _.find(Object.keys(node), function (key) {
            return Object.prototype.hasOwnProperty.call(table, key);
        }) || null;
    }

    function fmtValue(value) {
        return typeof value === "number" ? String(Number(value.toFixed(3))) : String(value);
    }

    /** Reads one spec against the definitions; rows come out in document order. */
    function Reader(spec, words) {
        var self = this;
        self.rows = [];
        self.types = words.types;
        self.placement = words.placement;
        self.roles = {};
        _.each(spec.roles || [], function (role) {
            self.roles[role.path] = role;
        });
        self.assumed = {};
        _.each(spec.assumptions || [], function (a) {
            self.assumed[a.field] = a;
        });
        self.used = {}; // assumption fields shown beside their number
    }

    Reader.prototype.node = function (family, title, type, keys, depth, extra) {
        var def = (this.types[family] || {})[type] || {};
        var row = _.extend({
            node: true,
            family: family,
            type: type,
            title: title,
            description: def.description || "",
            path: pathOf(keys),
            depth: depth,
            where: "",
            facts: [],
            applied: []
        }, extra || {});
        this.rows.push(row);
        return row;
    };

    Reader.prototype.field = function (row, keys, value, param, label) {
        var short = shortPath(keys, this.types.solid);
        var role = this.roles[short];
        var assumption = this.assumed[short] || null;
        if (assumption) this.used[short] = true;
        this.rows.push({
            node: false,
            keys: keys,
            path: pathOf(keys),
            short: short,
            depth: row.depth + 1,
            owner: row.title,
            label: label,
            description: param.description || "",
            kind: param.kind,
            unit: param.unit || "",
            original: value,
            said: role ? role.said : "",
            role: role ? role.role : "",
            assumption: assumption
        });
    };

    /** A value that is no number: said in words on its node's line. */
    Reader.prototype.fact = function (row, name, value, param) {
        var label = humanName(name);
        if (param.kind === "flag") {
            if (value) row.facts.push(label);
        } else if (param.kind === "faces") {
            row.facts.push(label + ": " + value.join(", "));
        } else if (param.kind === "points") {
            row.facts.push(_.sprintf(gettext("%(count)d points"), {count: value.length}));
        } else if (param.kind === "text") {
            row.facts.push(label + " “" + value + "”");
        } else {
            row.facts.push(label + ": " + fmtValue(value));
        }
    };

    /** The parameters of a node (numbers as fields, the rest as facts, nested nodes as rows). */
    Reader.prototype.params = function (row, params, values, keys) {
        var self = this;
        var children = [];
        Object.keys(values || {}).forEach(function (name) {
            var value = values[name];
            var param = params[name] || {kind: typeof value === "number" ? "number" : "text"};
            var at = keys.concat([name]);
            if (value === null || value === undefined) return;
            if (NODE_KINDS[param.kind]) {
                children.push([param.kind, value, at]);
            } else if (NUMBER_KINDS.indexOf(param.kind) !== -1 && typeof value === "number") {
                self.field(row, at, value, param, humanName(name));
            } else if (VECTORS.indexOf(param.kind) !== -1 && Array.isArray(value)) {
                // a feature's "at" is in its face's u, v (features.py); the rest in x, y, z
                var axes = name === "at" ? ["u", "v"] : ["x", "y", "z"];
                value.forEach(function (v, i) {
                    self.field(row, at.concat([i]), v, param, humanName(name) + " " + axes[i]);
                });
            } else if (param.kind === "distances") {
                Object.keys(value).forEach(function (side) {
                    self.field(row, at.concat([side]), value[side], param, _.sprintf(gettext("from the %(side)s"), {side: side}));
                });
            } else {
                self.fact(row, name, value, param);
            }
        });
        // nested nodes after the node's own numbers, so each number sits under its own node
        children.forEach(function (child) {
            var family = NODE_KINDS[child[0]];
            if (Array.isArray(child[1])) {
                child[1].forEach(function (node, i) {
                    self.walk(family, node, child[2].concat([i]), row.depth + 1);
                });
            } else {
                self.walk(family, child[1], child[2], row.depth + 1);
            }
        });
    };

    Reader.prototype.walk = function (family, node, keys, depth) {
        var self = this;
        var table = self.types[family] || {};
        var type = typeOf(node, table);
        if (!type) {
            self.node(family, gettext("(unknown part)"), "", keys, depth);
            return;
        }
        var def = table[type];
        var row = self.node(family, node.name || humanName(type), type, keys, depth);
        var value = node[type];
        if (Array.isArray(value)) {
            // a composition: {"union": [a, b]}
            value.forEach(function (child, i) {
                self.walk(family, child, keys.concat([type, i]), depth + 1);
            });
        } else {
            self.params(row, def.params, value, keys.concat([type]));
        }
        var others = {};
        Object.keys(node).forEach(function (key) {
            if (key !== type && key !== "name" && key !== "features") others[key] = node[key];
        });
        if (family === "feature") self.where(row, node, def);
        delete others.on;
        delete others.flush;
        var pattern = others.pattern;
        delete others.pattern;
        self.params(row, self.placement[family] || {}, others, keys);
        if (pattern) self.walk("pattern", pattern, keys.concat(["pattern"]), depth + 1);
        (node.features || []).forEach(function (feature, i) {
            self.walk("feature", feature, keys.concat(["features", i]), depth + 1);
        });
    };

    /** "on the front, flush with left and back" for a feature; nothing for one that acts on the
     * whole solid (a fillet). Faces are the part's, as features.py names them. */
    Reader.prototype.where = function (row, node, def) {
        var placedBy = def.placed_by || [];
        var words = [];
        if (placedBy.indexOf("on") !== -1) {
            words.push(_.sprintf(gettext("on the %(face)s"), {face: node.on || "top"}));
        }
        if (node.flush) words.push(_.sprintf(gettext("flush with the %(sides)s"), {sides: node.flush.join(" and ")}));
        row.where = words.join(", ");
    };

    /**
     * The rows of a spec's part: node rows {node: true, title, where, facts, applied, depth, path}
     * and field rows {node: false, keys, path, short, owner, label, unit, original, said, assumption}.
     * `applied` are the report's sentences "part.features[0].pattern.corners: 6 mm in ...": each
     * goes to the deepest node its path names. Returns {rows, otherAssumptions, otherApplied}.
     */
    function partRows(spec, words, applied) {
        var reader = new Reader(spec, words);
        reader.walk("solid", spec.part, [], 0);
        var otherApplied = [];
        _.each(applied || [], function (sentence) {
            var cut = sentence.indexOf(": ");
            var path = cut > 0 ? sentence.slice(0, cut) : "";
            var owner = null;
            reader.rows.forEach(function (row) {
                var inside = path === row.path || path.indexOf(row.path + ".") === 0 || path.indexOf(row.path + "[") === 0;
                if (row.node && inside && (!owner || row.path.length > owner.path.length)) owner = row;
            });
            if (owner) owner.applied.push(AA.sentence(sentence.slice(cut + 2)));
            else otherApplied.push(AA.sentence(sentence));
        });
        return {
            rows: reader.rows,
            otherAssumptions: _.filter(spec.assumptions || [], function (a) {
                return !reader.used[a.field];
            }),
            otherApplied: otherApplied
        };
    }

    /** How many places a pattern puts its feature at (patterns.py). */
    function copies(pattern) {
        if (!pattern) return 1;
        if (pattern.corners) return 4;
        if (pattern.grid) return pattern.grid.columns * pattern.grid.rows;
        var repeat = pattern.circle || pattern.row || pattern.spread;
        return repeat ? repeat.count : 1;
    }

    /** The part's base in a word or two: its name, else its type ("calibration cube"). */
    function partName(spec, words) {
        var part = spec.part || {};
        return humanName(part.name || typeOf(part, words.types.solid)) || gettext("part");
    }

    /** What was made, in a line: "box: length 60, width 40, height 20 mm, with 4 × hole, fillet". */
    function partSummary(spec, words) {
        var part = spec.part || {};
        var type = typeOf(part, words.types.solid);
        var def = words.types.solid[type] || {params: {}};
        var values = part[type];
        var sizes = [];
        if (values && !Array.isArray(values)) {
            Object.keys(values).forEach(function (name) {
                var param = def.params[name] || {};
                var value = values[name];
                if (value === null || typeof value === "object" || param.kind === "flag" || NODE_KINDS[param.kind]) return;
                sizes.push({text: humanName(name) + " " + fmtValue(value), unit: typeof value === "number" ? param.unit || "" : ""});
            });
        }
        // one unit at the end when all sizes share it; else each says its own
        var units = _.uniq(_.pluck(sizes, "unit"));
        var sized = sizes.map(function (size, i) {
            var last = i === sizes.length - 1;
            var unit = units.length === 1 && !last ? "" : size.unit;
            return size.text + (unit ? (unit === "°" ? unit : " " + unit) : "");
        });
        var text = (spec.quantity > 1 ? spec.quantity + " × " : "") + partName(spec, words);
        if (sized.length) text += ": " + sized.join(", ");
        var features = (part.features || []).map(function (f) {
            var n = copies(f.pattern);
            return (n > 1 ? n + " × " : "") + humanName(f.name || typeOf(f, words.types.feature) || "");
        });
        if (features.length) text += _.sprintf(gettext(", with %(features)s"), {features: features.join(", ")});
        return text;
    }

    AA.partRows = partRows;
    AA.partName = partName;
    AA.partSummary = partSummary;
})((window.AiAgent = window.AiAgent || {}));
