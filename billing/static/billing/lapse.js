// 会費滞納による退会 (lapse.html): the header checkbox selects or clears every candidate of the page.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("lapse-all");
  if (!all) return;
  all.addEventListener("change", () => {
    document.querySelectorAll("input[name=member_ids]").forEach((box) => { box.checked = all.checked; });
  });
});
