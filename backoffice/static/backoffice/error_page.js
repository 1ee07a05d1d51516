// The error page's 「前のページに戻る」: back to the form, with what was typed (no inline script: CSP).
document.addEventListener("DOMContentLoaded", () => {
  const back = document.getElementById("error-back");
  if (!back) return;
  back.addEventListener("click", (event) => {
    event.preventDefault();
    history.back();
  });
});
