#!/usr/bin/env python3
"""Browser tests of the web console in headless Chromium, driven by Selenium.

Run by scripts/browser-tests.sh, which starts a host with the demo tenants and passes:
SB_PORT (the host's port), SB_PASSWORD (the password of admin@<tenant>.test on each demo tenant),
SB_MRDJ_TOKEN (an admin API token of mrdj), SWITCHBOARD_ADMIN_TOKEN, and SB_SCREENSHOTS
(a directory for screenshots of the main pages, or empty).
Chromium resolves every name to 127.0.0.1, so the tenants are reached by their real domains.
"""
import json
import os
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

PORT = int(os.environ["SB_PORT"])
PASSWORD = os.environ["SB_PASSWORD"]
MRDJ_TOKEN = os.environ["SB_MRDJ_TOKEN"]
ADMIN_TOKEN = os.environ["SWITCHBOARD_ADMIN_TOKEN"]
SHOTS = os.environ.get("SB_SCREENSHOTS", "")


def url(host, path):
    return f"http://{host}:{PORT}{path}"


def api(host, method, path, body=None, token=None):
    """A JSON request to the host on loopback with the tenant's Host header."""
    headers = {"Host": f"{host}:{PORT}", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
        return response.status, (json.loads(text) if text else None)


class ConsoleInChromium(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        options = Options()
        options.binary_location = "/usr/bin/chromium"
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,900", "--host-resolver-rules=MAP * 127.0.0.1"]:
            options.add_argument(argument)
        cls.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        cls.wait = WebDriverWait(cls.driver, 15)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()

    def setUp(self):
        self.driver.delete_all_cookies()

    def shot(self, name):
        if SHOTS:
            self.driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))

    def sign_in(self, domain, email):
        self.driver.get(url(domain, "/console/login"))
        self.driver.find_element(By.ID, "email").send_keys(email)
        self.driver.find_element(By.ID, "password").send_keys(PASSWORD)
        self.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "header nav")))

    def header_colour(self):
        return self.driver.find_element(By.TAG_NAME, "header").value_of_css_property("background-color")

    def test_1_each_tenant_shows_its_own_branding(self):
        self.driver.get(url("mr-dj.rentguy.nl", "/console/login"))
        self.assertIn("Mr. DJ", self.driver.title)
        self.shot("login-mrdj")
        self.sign_in("mr-dj.rentguy.nl", "admin@mrdj.test")
        self.assertEqual(self.header_colour(), "rgba(17, 17, 17, 1)")
        self.assertIn("Mr. DJ", self.driver.find_element(By.TAG_NAME, "header").text)
        self.shot("inbox-mrdj")

        self.sign_in("chargecars.localhost", "admin@chargecars.test")
        self.assertEqual(self.header_colour(), "rgba(0, 166, 81, 1)")
        self.assertIn("ChargeCars", self.driver.find_element(By.TAG_NAME, "header").text)
        self.assertNotIn("Mr. DJ", self.driver.page_source)
        self.shot("inbox-chargecars")

        # Mr. DJ's user has no account on ChargeCars' domain.
        self.driver.delete_all_cookies()
        self.driver.get(url("chargecars.localhost", "/console/login"))
        self.driver.find_element(By.ID, "email").send_keys("admin@mrdj.test")
        self.driver.find_element(By.ID, "password").send_keys(PASSWORD)
        self.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.assertIn("wrong", self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".error"))).text)

    def test_2_a_webhook_message_arrives_live_in_the_inbox(self):
        self.sign_in("mrdj.localhost", "admin@mrdj.test")
        self.wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-live-connected") == "true")
        self.driver.execute_script("window.__notReloaded = true;")
        name = f"Live Tester {int(time.time() * 1000)}"
        status, _ = api("mrdj.localhost", "POST", "/webhooks/sandbox", {"from": "+31611119999", "name": name, "text": "Is 14 juni nog vrij?"})
        self.assertEqual(status, 202)
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "tbody[data-live]"), name))
        self.assertTrue(self.driver.execute_script("return window.__notReloaded === true;"), "the row came without a reload")

        self.driver.find_element(By.LINK_TEXT, name).click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "section[data-live]"), "Is 14 juni nog vrij?"))
        self.shot("conversation-mrdj")
        self.driver.get(url("mrdj.localhost", "/console/contacts"))
        self.assertIn(name, self.driver.page_source)
        self.shot("contacts-mrdj")

    def test_3_a_deal_moves_between_stages_by_menu_and_by_drag_and_drop(self):
        _, contact = api("mrdj.localhost", "POST", "/api/v1/contacts", {"name": "Board Tester", "email": f"board{int(time.time())}@example.nl"}, MRDJ_TOKEN)
        _, deal = api("mrdj.localhost", "POST", "/api/crm/deals",
                      {"contact_id": contact["id"], "title": "Bruiloft Board Tester", "pipeline": "Bruiloften", "package": "Gold"}, MRDJ_TOKEN)
        self.sign_in("mrdj.localhost", "admin@mrdj.test")
        self.driver.find_element(By.LINK_TEXT, "Pipeline").click()
        card = self.wait.until(EC.presence_of_element_located((By.ID, f"deal-{deal['id']}")))
        self.assertEqual(card.find_element(By.XPATH, "ancestor::section").get_attribute("data-drop-value"), "Nieuwe Lead")

        Select(card.find_element(By.TAG_NAME, "select")).select_by_value("Kwalificatie")
        self.wait.until(lambda d: d.find_element(By.ID, f"deal-{deal['id']}").find_element(By.XPATH, "ancestor::section").get_attribute("data-drop-value") == "Kwalificatie")

        # HTML5 drag and drop, as the browser fires it: dragstart on the card, dragover and drop on the column.
        self.wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        self.driver.execute_script("""
            const card = document.getElementById(arguments[0]);
            const column = document.querySelector('[data-drop-value="Offerte"]');
            const data = new DataTransfer();
            card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: data}));
            column.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: data}));
            column.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: data}));
        """, f"deal-{deal['id']}")
        self.wait.until(lambda d: d.find_element(By.ID, f"deal-{deal['id']}").find_element(By.XPATH, "ancestor::section").get_attribute("data-drop-value") == "Offerte")
        _, stored = api("mrdj.localhost", "GET", f"/api/crm/deals/{deal['id']}", token=MRDJ_TOKEN)
        self.assertEqual(stored["stage"], "Offerte")
        self.shot("crm-board-mrdj")
        self.driver.find_element(By.LINK_TEXT, "CRM analytics").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "svg.chart")))
        self.shot("crm-analytics-mrdj")

    def test_3b_a_csv_import_shows_its_progress_and_the_refused_rows(self):
        import tempfile
        rows = ["Naam;E-mail;Telefoon;Pijplijn"]
        for n in range(450):
            rows.append(f"Gast {n};gast{n}.{int(time.time())}@voorbeeld.nl;;Bruiloften")
        rows[101] = "Kapot;geen-email;;Bruiloften"
        rows[302] = "\"Quote; binnen\";;abc;Bruiloften"
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as handle:
            handle.write("\ufeff" + "\r\n".join(rows) + "\r\n")
        self.sign_in("mrdj.localhost", "admin@mrdj.test")
        self.driver.find_element(By.LINK_TEXT, "Import").click()
        self.wait.until(EC.presence_of_element_located((By.ID, "import-file")))
        self.driver.find_element(By.ID, "import-file").send_keys(handle.name)
        self.driver.find_element(By.ID, "import-map").send_keys("naam:name, e-mail:email, telefoon:phone, pijplijn:pipeline")
        self.driver.find_element(By.CSS_SELECTOR, "form[data-batch-upload] button").click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "[data-batch-status]"), "Done"))
        status = self.driver.find_element(By.CSS_SELECTOR, "[data-batch-status]").text
        self.assertIn("450 rows, 448 imported", status)
        self.assertEqual(self.driver.find_element(By.ID, "import-progress").get_attribute("value"), "1")
        refused = self.driver.find_element(By.CSS_SELECTOR, "[data-batch-errors]").text
        self.assertIn("line 102: email: not an email address", refused)
        self.assertIn("line 303: phone: not a phone number", refused)
        self.shot("crm-import-mrdj")
        os.unlink(handle.name)

    def test_4_a_tenant_is_onboarded_from_the_admin_console(self):
        self.driver.get(url("admin.localhost", "/admin/console/login"))
        self.driver.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
        self.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait.until(EC.presence_of_element_located((By.ID, "tenant-mrdj")))
        self.assertIn("mrdj-crm@", self.driver.find_element(By.ID, "tenant-mrdj").text)
        self.shot("admin-tenants")

        self.driver.find_element(By.LINK_TEXT, "Onboard").click()
        self.wait.until(EC.presence_of_element_located((By.ID, "manifest")))
        bad = "slug: Bakkerij!\nname: Bakkerij Jansen\ndomains: [bakkerij.localhost]\nplugins:\n  - id: no-such-plugin\n"
        self.driver.find_element(By.ID, "manifest").send_keys(bad)
        self.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        errors = self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.manifest-errors")))
        self.assertIn("no-such-plugin", errors.text)
        self.shot("admin-onboard-errors")

        good = ("slug: bakkerij\nname: Bakkerij Jansen\ndomains: [bakkerij.localhost]\ntimezone: Europe/Amsterdam\n"
                "branding: {name: Bakkerij Jansen, primary_color: \"#7c2d12\", accent_color: \"#f59e0b\"}\nplugins: []\n")
        area = self.driver.find_element(By.ID, "manifest")
        area.clear()
        area.send_keys(good)
        self.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        row = self.wait.until(EC.presence_of_element_located((By.ID, "tenant-bakkerij")))
        self.assertIn("serving", row.text)

        self.driver.get(url("bakkerij.localhost", "/console/login"))
        self.assertIn("Bakkerij Jansen", self.driver.title)
        self.assertEqual(self.header_colour(), "rgba(124, 45, 18, 1)")

    def test_5_each_plugin_dashboard_and_the_settings_render(self):
        for domain, tenant, nav, name in [("tutorbot.localhost", "tutorbot", "Bot analytics", "dashboard-tutorbot"),
                                          ("leadqualifier.localhost", "leadqualifier", "KPIs", "dashboard-leadqualifier"),
                                          ("chargecars.localhost", "chargecars", "SLA dashboard", "dashboard-chargecars")]:
            self.driver.delete_all_cookies()
            self.sign_in(domain, f"admin@{tenant}.test")
            self.driver.find_element(By.LINK_TEXT, nav).click()
            charts = self.wait.until(EC.presence_of_all_elements_located((By.CSS_SELECTOR, "svg.chart")))
            self.assertGreaterEqual(len(charts), 2, f"{tenant} draws its charts")
            self.shot(name)
        self.driver.find_element(By.LINK_TEXT, "Settings").click()
        self.wait.until(EC.presence_of_element_located((By.ID, "tokens-heading")))
        self.shot("settings-chargecars")


if __name__ == "__main__":
    unittest.main()
