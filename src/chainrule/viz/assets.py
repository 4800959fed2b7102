"""The replay page's stylesheet and script, inlined into every page (no network needed).

The script reads the JSON in ``#replay-data`` (built by :mod:`chainrule.viz.replay`) and
shows one step at a time; it writes text with ``textContent`` only, never HTML.
"""

from __future__ import annotations

__all__ = ["CSS", "JS"]

CSS = """
body { font-family: system-ui, sans-serif; margin: 0; color: #222; }
header { display: flex; align-items: center; gap: 2em; padding: 0.5em 1em;
         border-bottom: 1px solid #ccc; }
h1 { font-size: 1.1em; margin: 0; }
h2 { font-size: 1.05em; margin: 0.2em 0; font-family: monospace; }
h3 { font-size: 0.9em; margin: 0.9em 0 0.2em; color: #555; }
nav button { font-size: 0.9em; }
#step-counter { display: inline-block; min-width: 8em; text-align: center; }
main { display: flex; height: calc(100vh - 3.2em); }
#canvas { flex: 1; overflow: auto; }
#panel { width: 30em; overflow: auto; padding: 0 1em; border-left: 1px solid #ccc; }
pre { background: #f6f6f6; padding: 0.4em; margin: 0.2em 0; font-size: 12px;
      white-space: pre-wrap; }
#step-rule { font-family: monospace; background: #fff6d5; padding: 0.4em; }
.node { cursor: pointer; }
.node.done rect { opacity: 0.55; }
.node.active rect { stroke: #d62728; stroke-width: 3; }
.edge.flow { stroke: #d62728; stroke-width: 2.5; }
#leaf-grads td { vertical-align: top; font-family: monospace; font-size: 12px; }
#leaf-grads tr.changed td { background: #ffe9e9; }
.target { font-family: monospace; font-size: 12px; margin-top: 0.4em; }
"""

JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("replay-data").textContent);
  var steps = data.steps;
  var current = 0;

  function byId(id) { return document.getElementById(id); }
  function nodeEl(id) { return byId("node-" + id); }
  function titleOf(id) { return nodeEl(id).getAttribute("data-title"); }
  function clear(cls) {
    document.querySelectorAll("." + cls).forEach(function (el) { el.classList.remove(cls); });
  }

  function showLeaves() {
    data.leaves.forEach(function (leaf) {
      var row = byId("leaf-" + leaf.node), cell = row.querySelector(".grad");
      var latest = null, changed = false;
      for (var k = 0; k <= current; k++) {
        if (steps[k].leaf && steps[k].node === leaf.node) {
          latest = steps[k].leaf;
          changed = k === current;
        }
      }
      cell.textContent = latest ? latest.text : "None";
      cell.setAttribute("data-grad", JSON.stringify(latest ? latest.exact : null));
      row.classList.toggle("changed", changed);
    });
  }

  function showInputs(step) {
    var box = byId("grad-inputs");
    box.textContent = "";
    if (step.leaf) { box.textContent = "(a leaf: nothing further back)"; return; }
    step.grad_inputs.forEach(function (g) {
      var edge = byId("edge-" + step.node + "-" + g.index);
      if (edge) { edge.classList.add("flow"); }
      var head = document.createElement("div"), body = document.createElement("pre");
      head.className = "target";
      head.textContent = "to input " + g.index + ": " + titleOf(g.to);
      body.textContent = g.text;
      box.appendChild(head);
      box.appendChild(body);
    });
  }

  function show(i) {
    var counter = byId("step-counter");
    if (steps.length === 0) { counter.textContent = "no steps recorded"; return; }
    current = Math.max(0, Math.min(steps.length - 1, i));
    var step = steps[current];
    clear("active"); clear("done"); clear("flow");
    for (var k = 0; k < current; k++) { nodeEl(steps[k].node).classList.add("done"); }
    var el = nodeEl(step.node);
    el.classList.add("active");
    counter.textContent = "step " + (current + 1) + " / " + steps.length;
    counter.setAttribute("data-step", String(current));
    document.body.setAttribute("data-step", String(current));
    byId("step-name").textContent = step.name + (step.leaf ? "  (" + titleOf(step.node) + ")" : "");
    byId("step-rule").textContent = step.rule;
    byId("grad-outputs").textContent = step.grad_outputs.join("\\n");
    showInputs(step);
    byId("step-saved").textContent = step.leaf ? "(a leaf saves nothing)"
                                               : data.saved[step.node];
    var source = data.sources[step.name];
    byId("source-box").style.display = source ? "" : "none";
    byId("step-source").textContent = source || "";
    showLeaves();
    if (el.scrollIntoView) { el.scrollIntoView({block: "nearest", inline: "nearest"}); }
  }

  byId("btn-first").addEventListener("click", function () { show(0); });
  byId("btn-prev").addEventListener("click", function () { show(current - 1); });
  byId("btn-next").addEventListener("click", function () { show(current + 1); });
  byId("btn-last").addEventListener("click", function () { show(steps.length - 1); });
  document.addEventListener("keydown", function (ev) {
    var moves = {ArrowRight: current + 1, ArrowDown: current + 1, ArrowLeft: current - 1,
                 ArrowUp: current - 1, Home: 0, End: steps.length - 1};
    if (ev.key in moves) { ev.preventDefault(); show(moves[ev.key]); }
  });
  document.querySelectorAll(".node").forEach(function (el) {
    el.addEventListener("click", function () {
      var id = el.getAttribute("data-node");
      for (var k = 0; k < steps.length; k++) {
        if (steps[k].node === id) { show(k); return; }
      }
    });
  });
  show(0);
}());
"""
