package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.KafkaBroker;
import dev.failover.coordinator.app.CoordinatorApp;
import dev.failover.testkit.Await;
import dev.failover.testkit.WithKafka;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The status page in a real browser (Debian's headless Chromium, driven through its chromedriver by Selenium): two
 * coordinators, the page opened on the one that does not host the group (so every request it makes is forwarded), a
 * group of two agent processes; the primary's agent is killed with SIGKILL and the page, without a reload, shows the
 * new primary, the new epoch and the FAILOVER with its reason within the 3 s. Screenshots go to
 * {@code target/ui/}; {@code -Dfailover.ui.updateScreenshot} also copies the README's picture.
 */
@WithKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatusPageIT extends BesideACoordinator {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Set by {@code .ci/run} once it has both: from then on a missing or broken browser fails the test. */
    static final String REQUIRED_ENV = "FAILOVER_UI_BROWSER_REQUIRED";

    static final Path OUT = Path.of("target", "ui");
    /** The bound, not scaled: the kill to the page showing the new primary and the FAILOVER. */
    static final Duration SHOWN_WITHIN = Duration.ofSeconds(3);

    StatusPageIT(KafkaBroker broker) throws IOException {
        super(broker, "status-page-it-");
    }

    @Test
    void thePageShowsAFailoverLiveWithoutAReload() throws Exception {
        boolean browser = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!browser && System.getenv(REQUIRED_ENV) == null) {
            Assumptions.abort("no " + CHROMIUM + " or " + CHROMEDRIVER + ": install Debian's chromium and "
                    + "chromium-driver (.ci/run does it when it runs as root)");
        }
        assertTrue(browser, REQUIRED_ENV + " is set but " + CHROMIUM + " or " + CHROMEDRIVER + " is missing");
        Files.createDirectories(OUT);
        try (CoordinatorApp second = startCoordinator(broker, dir.resolve("second"));
                AgentProcess alpha = AgentProcess.launch(broker.bootstrapServers(), "web", "alpha", 100, dir);
                AgentProcess beta = AgentProcess.launch(broker.bootstrapServers(), "web", "beta", 50, dir)) {
            Await.until(Duration.ofSeconds(30), "alpha ACTIVE on /role", () -> alpha.roleStatus() == 200);
            String first = coordinator.httpAddress().orElseThrow();
            String other = second.httpAddress().orElseThrow();
            String owner =
                    Await.value(Duration.ofSeconds(20), "an instance to name web's owner", () -> ownerOf(first, "web"));
            String page = owner.equals(first) ? other : first; // the one that forwards, if either does
            System.out.printf("status page test: web is hosted by %s; the browser asks %s%n", owner, page);

            WebDriver driver = browser();
            try {
                driver.get("http://" + page + "/");
                awaitShown(
                        driver,
                        Duration.ofSeconds(15),
                        "the overview to show alpha ACTIVE in web",
                        "[data-group='web'] tr[data-node='alpha'][data-role='ACTIVE']");
                screenshot(driver, "overview.png");
                driver.manage().window().setSize(new Dimension(390, 844));
                long overflow = (Long) js(driver, "return document.documentElement.scrollWidth - window.innerWidth");
                screenshot(driver, "overview-phone.png");
                assertTrue(overflow <= 0, "on a phone's width the page scrolls sideways by " + overflow + " px");
                driver.manage().window().setSize(new Dimension(1280, 900));

                driver.get("http://" + page + "/ui/groups/web");
                awaitShown(
                        driver,
                        Duration.ofSeconds(15),
                        "the group page to show alpha ACTIVE, live, and the election",
                        "[data-group='web'] tr[data-node='alpha'][data-role='ACTIVE']",
                        "ol.timeline li[data-kind='ELECTION']");
                // read in one script: the page redraws every 500 ms, so elements found by one call may be gone by the
                // next
                String shown = (String) js(
                        driver,
                        "return document.querySelector(\"[data-group='web'] h2\").textContent"
                                + " + ' | ' + document.getElementById('where').textContent"
                                + " + ' | ' + document.getElementById('banner').textContent");
                assertTrue(
                        shown.contains("live") && !shown.contains("not live"),
                        "the group page is not live " + "(forwarding to " + owner + " failed?): " + shown);
                assertTrue(
                        shown.contains("from " + owner),
                        "the answer comes from the instance hosting web, " + owner
                                + (page.equals(owner) ? "" : ", through " + page) + ": " + shown);
                long epochBefore = (Long)
                        js(driver, "return Number(document.querySelector(\"[data-group='web']\").dataset.epoch)");
                Object origin = js(driver, "return performance.timeOrigin");
                long pollsBefore = polls(driver);

                long killed = System.nanoTime();
                alpha.process.destroyForcibly(); // SIGKILL: no stand-down, no goodbye
                Pattern reason = Pattern.compile("promoted beta: alpha silent for \\d+ ms > timeout 1000 ms.*");
                String seen = "";
                long shownMs = -1;
                while (System.nanoTime() - killed < SHOWN_WITHIN.toNanos()) {
                    seen = failoverShown(driver, epochBefore, reason);
                    if (seen == null) {
                        shownMs = (System.nanoTime() - killed) / 1_000_000;
                        break;
                    }
                    Thread.sleep(50);
                }
                screenshot(driver, "group-after-failover.png");
                assertTrue(
                        shownMs >= 0,
                        "within " + SHOWN_WITHIN.toMillis() + " ms of the kill the page did not show "
                                + "the failover: " + seen);
                System.out.printf(
                        "status page: the failover was on screen %d ms after alpha's agent was killed%n", shownMs);
                assertEquals(origin, js(driver, "return performance.timeOrigin"), "the page was reloaded");
                assertTrue(polls(driver) > pollsBefore, "the page did not poll");
                @SuppressWarnings("unchecked")
                List<String> foreign = (List<String>) js(
                        driver,
                        "return performance.getEntriesByType('resource')"
                                + ".map(e => e.name).filter(n => !n.startsWith(location.origin))");
                assertEquals(List.of(), foreign, "the page loaded something from elsewhere");
                if (Boolean.getBoolean("failover.ui.updateScreenshot")) {
                    Files.copy(
                            OUT.resolve("group-after-failover.png"),
                            Path.of("..", "docs", "img", "status-page.png"),
                            StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                driver.quit();
            }
        }
    }

    /** Null when the page shows beta ACTIVE at a higher epoch and the FAILOVER as its newest entry; else what it shows. */
    @SuppressWarnings("unchecked")
    private static String failoverShown(WebDriver driver, long epochBefore, Pattern reason) {
        // one script reads the whole picture at one instant (between two redraws)
        List<Object> seen = (List<Object>) js(
                driver,
                "const g = document.querySelector(\"[data-group='web']\");"
                        + "const newest = document.querySelector('ol.timeline li');"
                        + "return [g ? Number(g.dataset.epoch) : -1,"
                        + " !!(g && g.querySelector(\"tr[data-node='beta'][data-role='ACTIVE']\")),"
                        + " newest ? newest.dataset.kind : 'none',"
                        + " newest ? newest.querySelector('.reason').textContent : ''];");
        long epoch = (Long) seen.get(0);
        boolean betaActive = (Boolean) seen.get(1);
        String kind = (String) seen.get(2);
        String why = (String) seen.get(3);
        if (epoch > epochBefore
                && betaActive
                && "FAILOVER".equals(kind)
                && reason.matcher(why).matches()) {
            return null;
        }
        return "epoch " + epoch + " (was " + epochBefore + "), beta ACTIVE " + betaActive + ", newest entry " + kind
                + ": " + why;
    }

    private static void awaitShown(WebDriver driver, Duration within, String what, String... selectors) {
        Await.until(within, what, () -> {
            for (String s : selectors) {
                if (driver.findElements(By.cssSelector(s)).isEmpty()) {
                    return false;
                }
            }
            return true;
        });
    }

    private static long polls(WebDriver driver) {
        return Long.parseLong(driver.findElement(By.id("main")).getAttribute("data-polls"));
    }

    private static Object js(WebDriver driver, String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    private static void screenshot(WebDriver driver, String name) throws IOException {
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), OUT.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Headless Chromium from Debian, through the chromedriver beside it: Selenium Manager downloads nothing. */
    private WebDriver browser() throws IOException {
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(OUT.resolve("chromedriver.log").toFile())
                .build();
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                .addArguments(
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--no-first-run",
                        "--disable-sync",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-quic",
                        "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"),
                        "--window-size=1280,900");
        return new ChromeDriver(service, options);
    }

    /** The instance the {@code Failover-Owner} header names for {@code group}, asked of {@code instance}; null if none. */
    private static String ownerOf(String instance, String group) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://" + instance + "/api/groups/" + group))
                                    .timeout(Duration.ofSeconds(3))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200
                    ? r.headers().firstValue("Failover-Owner").orElse(null)
                    : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
