// The admin's periodic task form (templates/admin/djcelery/change_periodictask_form.html):
// django-celery-beat's inline script as a file. Under the crontab field, its schedule in words.
(() => {
  const $ = window.django && window.django.jQuery;
  const data = document.getElementById("readable-crontabs");
  if (!$ || !data) return;
  const readableCrontabs = JSON.parse(data.textContent);
  const originalHelp = document.getElementById("periodic-task-overrides").dataset.crontabHelp;
  const help = $(".field-crontab .help");
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(() => {
    const words = readableCrontabs[$("#id_crontab").val()];
    help.text(originalHelp);
    if (words) help.append("<br>", document.createTextNode(`Translation: ${words}`));
  });
})();
