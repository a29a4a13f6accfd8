"""The pytest plugin, as a user's project sees it: a pytest run of its own, in a subprocess.

A subprocess, not pytester's in-process run: that one restores sys.modules afterwards,
which leaves modules imported during the inner run (httpcore) imported twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

MEDIA_PNG = Path(__file__).parents[1] / "media" / "image.png"

pytestmark = pytest.mark.slow  # each test runs a pytest of its own in a subprocess

JPEG = (Path(__file__).parent.parent / "media" / "image.jpg").read_bytes()


def test_fixtures_work_in_a_users_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user=f"""
        import anyio
        import pytest

        from wechat_material import MaterialType

        JPEG = {JPEG!r}

        def test_sync_client(wechat_client, wechat_sandbox):
            result = wechat_client.material.add_material(MaterialType.IMAGE, JPEG)
            assert result.media_id
            assert wechat_client.material.get_material_count().image_count == 1
            assert wechat_sandbox.admin.counters()["/cgi-bin/token"] == 1

        def test_each_test_starts_empty(wechat_client):
            assert wechat_client.material.get_material_count().image_count == 0

        def test_async_client_in_process(async_wechat_client):
            async def scenario():
                await async_wechat_client.material.add_material(MaterialType.IMAGE, JPEG)
                return await async_wechat_client.material.get_material_count()

            assert anyio.run(scenario).image_count == 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_config_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from wechat_material.sandbox import SandboxConfig

        @pytest.fixture
        def wechat_sandbox_config():
            return SandboxConfig(accounts=[("wx00000000000000aa", "s" * 32)], news_api="retired")
        """
    )
    pytester.makepyfile(
        test_user="""
        import pytest
        from wechat_material.errors import RetiredAPIError

        def test_retired(wechat_client):
            assert wechat_client.appid == "wx00000000000000aa"
            article = {"title": "t", "thumb_media_id": "x", "content": "c"}
            with pytest.raises(RetiredAPIError) as caught:
                wechat_client.material.add_news([article])
            assert "draft" in caught.value.hint
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_an_admin_token_is_passed_on(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from wechat_material.sandbox import SandboxConfig

        @pytest.fixture
        def wechat_sandbox_config():
            return SandboxConfig(admin_token="plugin-admin-token-0123456789")
        """
    )
    pytester.makepyfile(
        test_user="""
        import httpx

        def test_admin_has_the_token(wechat_client, wechat_sandbox):
            wechat_client.material.get_material_count()
            assert wechat_sandbox.admin.counters()["/cgi-bin/token"] == 1
            bare = httpx.get(wechat_sandbox.base_url + "/_sandbox/health")
            assert bare.status_code == 401
            assert wechat_sandbox.admin_token == "plugin-admin-token-0123456789"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_no_accounts_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from wechat_material.sandbox import SandboxConfig

        @pytest.fixture
        def wechat_sandbox_config():
            return SandboxConfig(accounts=[])
        """
    )
    pytester.makepyfile(test_user="def test_x(wechat_client):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*no accounts*"])
    assert result.ret != 0


def test_each_test_starts_with_a_token_of_its_own_sandbox(pytester: pytest.Pytester) -> None:
    # Every test's in-process sandbox answers at the same URL: a client must not
    # try the token the previous test's sandbox issued.
    pytester.makepyfile(
        test_user="""
        import anyio

        from wechat_material.sandbox import DEMO_APPID

        def count_with(client, app):
            anyio.run(client.material.get_material_count)
            counters = app.state.sandbox.counters
            return counters.snapshot(DEMO_APPID), counters.snapshot("")

        def test_first(async_wechat_client, wechat_sandbox_app):
            mine, unknown = count_with(async_wechat_client, wechat_sandbox_app)
            assert mine["/cgi-bin/token"] == 1 and unknown == {}

        def test_second(async_wechat_client, wechat_sandbox_app):
            mine, unknown = count_with(async_wechat_client, wechat_sandbox_app)
            assert mine["/cgi-bin/token"] == 1 and unknown == {}
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_in_process_sandbox_frees_its_data_dir(pytester: pytest.Pytester) -> None:
    # With a data directory, each test's sandbox must let go of it, or the
    # next test's sandbox finds it in use.
    pytester.makeconftest(
        """
        import pytest
        from wechat_material.sandbox import SandboxConfig

        @pytest.fixture
        def wechat_sandbox_config(tmp_path_factory):
            return SandboxConfig(data_dir=tmp_path_factory.getbasetemp() / "shared-sandbox")
        """
    )
    pytester.makepyfile(
        test_user="""
        import anyio

        def count(client):
            async def scenario():
                return await client.material.get_material_count()
            return anyio.run(scenario)

        def test_first(async_wechat_client):
            assert count(async_wechat_client).image_count == 0

        def test_second(async_wechat_client):
            assert count(async_wechat_client).image_count == 0
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(("ini", "outcome"), [("", "45106"), ("wechat_news_api = legacy", "ok")])
def test_the_news_api_is_an_ini_option(pytester: pytest.Pytester, ini: str, outcome: str) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(
        test_user=f"""
        from pathlib import Path
        from wechat_material.errors import RetiredAPIError

        def test_news(wechat_client, tmp_path):
            image = tmp_path / "cover.png"
            image.write_bytes(Path({str(MEDIA_PNG)!r}).read_bytes())
            thumb = wechat_client.material.add_material("image", image).media_id
            article = {{"title": "t", "thumb_media_id": thumb, "content": "c"}}
            try:
                wechat_client.material.add_news([article])
                seen = "ok"
            except RetiredAPIError as error:
                seen = str(error.errcode)
            assert seen == {outcome!r}
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_bad_news_api_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwechat_news_api = sometimes\n")
    pytester.makepyfile(test_user="def test_it(wechat_sandbox_config):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*wechat_news_api must be 'retired' or 'legacy'*"])


def test_a_mark_chooses_how_the_next_publication_ends(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user=f"""
        import anyio
        import pytest

        from wechat_material import Article, MaterialType, PublishStatus

        JPEG = {JPEG!r}

        def publish(client, sandbox):
            thumb = client.material.add_material(MaterialType.IMAGE, JPEG).media_id
            articles = [Article(title=t, thumb_media_id=thumb, content="<p>x</p>") for t in "ab"]
            job = client.publish.submit(client.draft.add(articles))
            sandbox.admin.advance(60)
            return client.publish.get(job.publish_id)

        @pytest.mark.wechat_publish_outcome(3, fail_idx=[2])
        def test_failed(wechat_client, wechat_sandbox):
            result = publish(wechat_client, wechat_sandbox)
            assert result.publish_status is PublishStatus.FAILED
            assert result.fail_idx == [2]

        def test_unmarked_succeeds(wechat_client, wechat_sandbox):
            assert publish(wechat_client, wechat_sandbox).succeeded

        @pytest.mark.wechat_publish_outcome(status=4)
        def test_rejected_in_process(wechat_sandbox_app):
            planned = wechat_sandbox_app.state.sandbox.publishing.next_outcome
            assert planned.status == 4

        @pytest.mark.wechat_publish_outcome(5)
        def test_a_bad_mark_is_a_usage_error(wechat_client):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*wechat_publish_outcome*'status' must be one of*"])


def test_the_shared_sandbox_is_one_server_reset_before_each_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_user=f"""
        import time

        import pytest

        from wechat_material import WeChatClient, MaterialType
        from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET

        JPEG = {JPEG!r}
        SEEN = []
        TOKENS = []

        def client(sandbox):
            # The default token store, shared by every client of the process.
            return WeChatClient(DEMO_APPID, DEMO_SECRET, base_url=sandbox.base_url)

        @pytest.mark.parametrize("round", [1, 2, 3])
        def test_a_round(wechat_shared_sandbox, round):
            SEEN.append(wechat_shared_sandbox.base_url)
            assert len(set(SEEN)) == 1  # the same server every time
            admin = wechat_shared_sandbox.admin
            assert admin.counters() == {{}}
            assert admin.faults() == []
            assert admin.now() < time.time() + 60  # not 7200 s on, as the last round left it
            with client(wechat_shared_sandbox) as made:
                # The token of the last round is forgotten: this sandbox never issued it.
                token = made.get_access_token()
                assert token not in TOKENS
                TOKENS.append(token)
                assert made.material.get_material_count().image_count == 0  # empty again
                made.material.add_material(MaterialType.IMAGE, JPEG)
            assert admin.counters()["/cgi-bin/material/get_materialcount"] == 1
            assert admin.counters()["/cgi-bin/token"] == 1
            admin.set_faults("material/add_material", error_rate=1.0)
            admin.advance(7200 * round)

        def test_a_fresh_sandbox_is_another_server(wechat_sandbox):
            assert wechat_sandbox.base_url not in SEEN
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_the_shared_sandboxes_config_is_a_fixture_to_override(pytester: pytest.Pytester) -> None:
    # Each configuration gets a sandbox of its own; equal ones share it.
    pytester.makepyfile(
        test_user="""
        import pytest

        from wechat_material.sandbox import DEMO_APPID, SandboxAdminError, SandboxConfig

        ONE = ("wx00000000000000aa", "s" * 32)
        URLS = {}

        class TestOneAccount:
            @pytest.fixture
            def wechat_shared_sandbox_config(self):
                return SandboxConfig(accounts=[ONE], publish_seconds=0)

            @pytest.mark.parametrize("round", [1, 2])
            def test_it(self, wechat_shared_sandbox, round):
                URLS.setdefault("one", set()).add(wechat_shared_sandbox.base_url)
                wechat_shared_sandbox.admin.account_status(ONE[0])  # it exists
                with pytest.raises(SandboxAdminError):
                    wechat_shared_sandbox.admin.account_status(DEMO_APPID)

            @pytest.mark.wechat_publish_outcome(4)
            def test_the_mark_applies_after_the_reset(self, wechat_shared_sandbox):
                assert wechat_shared_sandbox.admin.next_publication().status == 4

        def test_the_default(wechat_shared_sandbox):
            URLS.setdefault("default", set()).add(wechat_shared_sandbox.base_url)
            wechat_shared_sandbox.admin.account_status(DEMO_APPID)
            assert wechat_shared_sandbox.admin.next_publication().status == 0

        def test_after_them():
            assert len(URLS["one"]) == 1
            assert URLS["one"] != URLS["default"]
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
