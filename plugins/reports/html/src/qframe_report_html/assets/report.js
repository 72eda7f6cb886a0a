// Sortable tables: click a header to sort by that column (numbers by data-v, else text).
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column], y = b.cells[column];
        var nx = parseFloat(x.getAttribute("data-v")), ny = parseFloat(y.getAttribute("data-v"));
        var order;
        if (!isNaN(nx) && !isNaN(ny)) { order = nx - ny; }
        else if (isNaN(nx) !== isNaN(ny)) { order = isNaN(nx) ? 1 : -1; }
        else { order = x.textContent.localeCompare(y.textContent); }
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
