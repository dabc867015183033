/*
 * AI Agent: 3D preview of a designed part on a virtual bed of the printer's size.
 *
 * Plain script (OctoPrint bundles plugin assets as classic scripts): exports window.AiAgentViewer.
 * Coordinates are the printer's: millimetres, Z up, the part centred on XY (0, 0) with its lowest
 * point at z = 0, exactly as the plugin writes its STL files.
 *
 * It renders on demand (after a change, a drag or a resize), never in a continuous loop, so an
 * idle tab costs nothing.
 */
(function (global) {
    "use strict";

    var MODEL_COLOR = 0x2b7bb9;
    var BED_COLOR = 0xe8ecef;
    var GRID_COLOR = 0xb0b8bf;
    var VOLUME_COLOR = 0x9aa4ad;
    var GRID_STEP_MM = 10;

    /** Whether this browser can give us a WebGL context at all (three.js logs errors otherwise). */
    function webglAvailable() {
        try {
            var canvas = document.createElement("canvas");
            return !!(
                global.WebGLRenderingContext &&
                (canvas.getContext("webgl2") || canvas.getContext("webgl"))
            );
        } catch (e) {
            return false;
        }
    }

    /**
     * Binary STL -> {positions: Float32Array (x, y, z per vertex), triangles: n}.
     * Throws an Error with a readable message when the bytes are not a binary STL.
     */
    function parseBinaryStl(buffer) {
        if (buffer.byteLength < 84) {
            throw new Error("the model file is too short to be an STL (" + buffer.byteLength + " bytes)");
        }
        var view = new DataView(buffer);
        var triangles = view.getUint32(80, true);
        var expected = 84 + triangles * 50;
        if (expected !== buffer.byteLength) {
            throw new Error(
                "the model file is not a binary STL (" + triangles + " triangles announced, " +
                    buffer.byteLength + " bytes received)"
            );
        }
        var positions = new Float32Array(triangles * 9);
        var offset = 84;
        for (var t = 0; t < triangles; t++) {
            // 12 bytes of facet normal are skipped: flat normals are recomputed from the vertices
            var base = offset + 12;
            for (var k = 0; k < 9; k++) {
                positions[t * 9 + k] = view.getFloat32(base + k * 4, true);
            }
            offset += 50;
        }
        return {positions: positions, triangles: triangles};
    }

    /** GET a binary STL; resolves with parseBinaryStl's result, rejects with a readable Error. */
    function fetchStl(url, headers) {
        return fetch(url, {headers: headers || {}, credentials: "same-origin"})
            .then(function (response) {
                if (response.ok) return response.arrayBuffer();
                return response
                    .json()
                    .catch(function () {
                        return {};
                    })
                    .then(function (body) {
                        throw new Error(body.error || "the server answered " + response.status);
                    });
            })
            .then(parseBinaryStl);
    }

    /** Line segments of the bed outline and its grid, at z = 0. */
    function bedLines(bed) {
        var points = [];
        var push = function (x1, y1, x2, y2) {
            points.push(x1, y1, 0, x2, y2, 0);
        };
        if (bed.shape === "circular") {
            var r = bed.x / 2;
            var segments = 96;
            for (var i = 0; i < segments; i++) {
                var a1 = (i / segments) * Math.PI * 2;
                var a2 = ((i + 1) / segments) * Math.PI * 2;
                push(r * Math.cos(a1), r * Math.sin(a1), r * Math.cos(a2), r * Math.sin(a2));
            }
            for (var g = -Math.floor(r / GRID_STEP_MM) * GRID_STEP_MM; g <= r; g += GRID_STEP_MM) {
                var half = Math.sqrt(Math.max(0, r * r - g * g));
                push(g, -half, g, half);
                push(-half, g, half, g);
            }
        } else {
            var hx = bed.x / 2;
            var hy = bed.y / 2;
            // the grid starts at the bed's corner, like the marks on a real bed
            for (var x = -hx; x <= hx + 1e-6; x += GRID_STEP_MM) push(x, -hy, x, hy);
            for (var y = -hy; y <= hy + 1e-6; y += GRID_STEP_MM) push(-hx, y, hx, y);
            push(hx, -hy, hx, hy);
            push(-hx, hy, hx, hy);
        }
        return new Float32Array(points);
    }

    function Viewer(container) {
        this.container = container;
        this.bed = {x: 220, y: 220, z: 250, shape: "rectangular"};
        this.available = webglAvailable();
        this.triangles = 0;
        this.modelBox = null;
        this._renderQueued = false;
        if (!this.available) return;

        var THREE = global.THREE;
        this.THREE = THREE;
        this.renderer = new THREE.WebGLRenderer({antialias: true});
        this.renderer.setPixelRatio(global.devicePixelRatio || 1);
        this.renderer.setClearColor(0xf7f9fa, 1);
        this.canvas = this.renderer.domElement;
        this.canvas.className = "aiagent-viewer-canvas";
        container.appendChild(this.canvas);

        this.scene = new THREE.Scene();
        this.camera = new THREE.PerspectiveCamera(40, 1, 1, 10000);
        this.camera.up.set(0, 0, 1);
        this.scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 1.6));
        this.light = new THREE.DirectionalLight(0xffffff, 1.4);
        this.scene.add(this.light);
        this.scene.add(this.light.target);

        this.bedGroup = new THREE.Group();
        this.scene.add(this.bedGroup);
        this.model = null;

        // orbit state: spherical coordinates around a target point
        this.orbit = {theta: -Math.PI / 3, phi: Math.PI / 3, radius: 400, target: new THREE.Vector3()};
        this._installPointerHandlers();
        this._buildBed();
        this.resetView();

        var self = this;
        if (global.ResizeObserver) {
            // a hidden tab has no size: draw when it gets one, and follow window resizes
            new ResizeObserver(function () {
                self.resize();
            }).observe(container);
        }
        this.resize();
    }

    Viewer.prototype.setBed = function (bed) {
        if (!bed) return;
        this.bed = {
            x: Number(bed.bed_x) || 220,
            y: Number(bed.bed_y) || Number(bed.bed_x) || 220,
            z: Number(bed.height) || 250,
            shape: bed.bed_shape === "circular" ? "circular" : "rectangular"
        };
        if (!this.available) return;
        this._buildBed();
        this.resetView();
    };

    Viewer.prototype._buildBed = function () {
        var THREE = this.THREE;
        this._disposeChildren(this.bedGroup);
        var bed = this.bed;

        var plate =
            bed.shape === "circular"
                ? new THREE.CircleGeometry(bed.x / 2, 96)
                : new THREE.PlaneGeometry(bed.x, bed.y);
        var plateMesh = new THREE.Mesh(
            plate,
            new THREE.MeshBasicMaterial({color: BED_COLOR, side: THREE.DoubleSide})
        );
        plateMesh.position.z = -0.05; // just under the grid and the part, so they never flicker
        this.bedGroup.add(plateMesh);

        var grid = new THREE.BufferGeometry();
        grid.setAttribute("position", new THREE.BufferAttribute(bedLines(bed), 3));
        this.bedGroup.add(new THREE.LineSegments(grid, new THREE.LineBasicMaterial({color: GRID_COLOR})));

        // the build volume as a faint outline, so "too tall" is visible at a glance
        var volume =
            bed.shape === "circular"
                ? new THREE.CylinderGeometry(bed.x / 2, bed.x / 2, bed.z, 48, 1, true)
                : new THREE.BoxGeometry(bed.x, bed.y, bed.z);
        if (bed.shape === "circular") volume.rotateX(Math.PI / 2);
        volume.translate(0, 0, bed.z / 2);
        var edges = new THREE.EdgesGeometry(volume);
        volume.dispose();
        this.bedGroup.add(
            new THREE.LineSegments(
                edges,
                new THREE.LineBasicMaterial({color: VOLUME_COLOR, transparent: true, opacity: 0.45})
            )
        );
        this.requestRender();
    };

    /** Show a parsed STL (from parseBinaryStl). */
    Viewer.prototype.setModel = function (parsed) {
        this.clearModel();
        this.triangles = parsed.triangles;
        if (!this.available) return;
        var THREE = this.THREE;
        var geometry = new THREE.BufferGeometry();
        geometry.setAttribute("position", new THREE.BufferAttribute(parsed.positions, 3));
        geometry.computeVertexNormals(); // non-indexed: one normal per facet, crisp edges
        geometry.computeBoundingBox();
        this.modelBox = geometry.boundingBox.clone();
        this.model = new THREE.Mesh(
            geometry,
            new THREE.MeshStandardMaterial({color: MODEL_COLOR, roughness: 0.55, metalness: 0.05})
        );
        this.scene.add(this.model);
        this.resetView();
    };

    Viewer.prototype.clearModel = function () {
        this.triangles = 0;
        this.modelBox = null;
        if (this.model) {
            this.scene.remove(this.model);
            this.model.geometry.dispose();
            this.model.material.dispose();
            this.model = null;
            this.requestRender();
        }
    };

    /** Frame the part (or the whole bed when there is none) from a three-quarter view. */
    Viewer.prototype.resetView = function () {
        if (!this.available) return;
        var THREE = this.THREE;
        var target = new THREE.Vector3(0, 0, 0);
        var size;
        if (this.modelBox) {
            this.modelBox.getCenter(target);
            var s = new THREE.Vector3();
            this.modelBox.getSize(s);
            size = Math.max(s.x, s.y, s.z, 10);
        } else {
            size = Math.max(this.bed.x, this.bed.y);
        }
        // a small part is framed with some bed around it, for scale
        var framed = Math.max(size * 2.2, Math.min(this.bed.x, this.bed.y) * 0.5);
        this.orbit.target.copy(target);
        this.orbit.theta = -Math.PI / 3;
        this.orbit.phi = Math.PI / 3;
        this.orbit.radius = framed / (2 * Math.tan((this.camera.fov * Math.PI) / 360));
        this._applyOrbit();
    };

    Viewer.prototype._applyOrbit = function () {
        var o = this.orbit;
        o.phi = Math.min(Math.max(o.phi, 0.05), Math.PI - 0.05);
        var far = Math.max(this.bed.x, this.bed.y, this.bed.z) * 8;
        o.radius = Math.min(Math.max(o.radius, 5), far);
        var sinPhi = Math.sin(o.phi);
        this.camera.position.set(
            o.target.x + o.radius * sinPhi * Math.cos(o.theta),
            o.target.y + o.radius * sinPhi * Math.sin(o.theta),
            o.target.z + o.radius * Math.cos(o.phi)
        );
        this.camera.near = Math.max(0.5, o.radius / 100);
        this.camera.far = far * 2;
        this.camera.lookAt(o.target);
        this.camera.updateProjectionMatrix();
        // light from over the viewer's shoulder, so the faces facing us are lit
        this.light.position.copy(this.camera.position).add(new this.THREE.Vector3(0, 0, o.radius));
        this.light.target.position.copy(o.target);
        this.requestRender();
    };

    Viewer.prototype._installPointerHandlers = function () {
        var self = this;
        var canvas = this.canvas;
        var drag = null;

        canvas.addEventListener("contextmenu", function (e) {
            e.preventDefault();
        });
        canvas.addEventListener("pointerdown", function (e) {
            canvas.setPointerCapture(e.pointerId);
            drag = {x: e.clientX, y: e.clientY, pan: e.button === 2 || e.shiftKey};
        });
        canvas.addEventListener("pointermove", function (e) {
            if (!drag) return;
            var dx = e.clientX - drag.x;
            var dy = e.clientY - drag.y;
            drag.x = e.clientX;
            drag.y = e.clientY;
            if (drag.pan) {
                self._pan(dx, dy);
            } else {
                self.orbit.theta -= dx * 0.008;
                self.orbit.phi -= dy * 0.008;
                self._applyOrbit();
            }
        });
        var end = function (e) {
            drag = null;
            if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
        };
        canvas.addEventListener("pointerup", end);
        canvas.addEventListener("pointercancel", end);
        canvas.addEventListener(
            "wheel",
            function (e) {
                e.preventDefault(); // zoom the view, not the page
                self.orbit.radius *= Math.pow(1.0015, e.deltaY);
                self._applyOrbit();
            },
            {passive: false}
        );
        canvas.addEventListener("dblclick", function () {
            self.resetView();
        });
    };

    Viewer.prototype._pan = function (dx, dy) {
        var THREE = this.THREE;
        var height = this.canvas.clientHeight || 1;
        var perPixel =
            (2 * this.orbit.radius * Math.tan((this.camera.fov * Math.PI) / 360)) / height;
        var right = new THREE.Vector3().setFromMatrixColumn(this.camera.matrix, 0);
        var up = new THREE.Vector3().setFromMatrixColumn(this.camera.matrix, 1);
        this.orbit.target.addScaledVector(right, -dx * perPixel).addScaledVector(up, dy * perPixel);
        this._applyOrbit();
    };

    Viewer.prototype.resize = function () {
        if (!this.available) return;
        var width = this.container.clientWidth;
        var height = this.container.clientHeight;
        if (!width || !height) return; // hidden tab: sized when shown
        this.renderer.setSize(width, height, false);
        this.camera.aspect = width / height;
        this.camera.updateProjectionMatrix();
        this.requestRender();
    };

    Viewer.prototype.requestRender = function () {
        if (!this.available || this._renderQueued) return;
        this._renderQueued = true;
        var self = this;
        global.requestAnimationFrame(function () {
            self._renderQueued = false;
            self.renderer.render(self.scene, self.camera);
        });
    };

    Viewer.prototype._disposeChildren = function (group) {
        while (group.children.length) {
            var child = group.children.pop();
            if (child.geometry) child.geometry.dispose();
            if (child.material) child.material.dispose();
        }
    };

    global.AiAgentViewer = {
        Viewer: Viewer,
        parseBinaryStl: parseBinaryStl,
        fetchStl: fetchStl,
        webglAvailable: webglAvailable
    };
})(window);
