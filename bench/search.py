"""Site search at province scale: 100,000 documents (item guides of ~170 counties and their FAQ,
synthetic but shaped like a real catalogue, plus the demo county's items with their aliases), then
query latency of ``engine.search.query`` over a few hundred realistic queries, against floors
measured in the same run on the same table.

    .venv/bin/python bench/search.py [--docs 100000] [--backends sqlite,postgresql] [--queries 300]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

# not this folder first: bench/http.py would hide the standard library's http
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import migrate, search  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.db import Database  # noqa: E402
from webapp import plugins  # noqa: E402
from webapp.demo import load_demo  # noqa: E402

HERE = Path(__file__).parent
DB_NAME = "sunhall_bench_search"

# department: (category, subject, aliases people use, materials, law)
SUBJECTS = {
    "市场监督管理局": [
        ("01", "食品经营许可", ["开饭店", "开餐馆", "办餐饮", "开小吃店"], ["食品经营许可申请书", "营业执照", "经营场所平面图"], "中华人民共和国食品安全法"),
        ("01", "食品生产许可", ["开食品厂"], ["食品生产许可申请书", "营业执照", "生产工艺流程图"], "中华人民共和国食品安全法"),
        ("01", "药品零售企业经营许可", ["开药店"], ["药品经营许可证申请表", "执业药师资格证书"], "中华人民共和国药品管理法"),
        ("07", "个体工商户设立登记", ["开个体店", "办营业执照", "摆摊办照"], ["个体工商户登记申请书", "经营场所使用证明"], "促进个体工商户发展条例"),
        ("07", "有限责任公司设立登记", ["开公司", "注册公司"], ["公司登记申请书", "公司章程", "股东身份证明"], "市场主体登记管理条例"),
        ("01", "特种设备使用登记", ["电梯登记", "锅炉登记"], ["特种设备使用登记表", "产品合格证"], "中华人民共和国特种设备安全法"),
    ],
    "卫生健康局": [
        ("01", "医疗机构执业许可", ["开诊所", "开医院"], ["医疗机构执业登记申请书", "医疗机构用房产权证明"], "医疗机构管理条例"),
        ("01", "公共场所卫生许可", ["开理发店", "开宾馆", "开美容院"], ["卫生许可申请表", "从业人员健康合格证明"], "公共场所卫生管理条例"),
        ("01", "母婴保健技术服务执业许可", ["助产资格"], ["母婴保健技术服务执业许可申请登记书"], "中华人民共和国母婴保健法"),
        ("01", "放射诊疗许可", ["拍片资质"], ["放射诊疗许可申请表", "放射防护评价报告"], "放射诊疗管理规定"),
    ],
    "住房和城乡建设局": [
        ("01", "建筑工程施工许可证核发", ["建房", "盖房子", "开工许可"], ["建筑工程施工许可申请表", "建设工程规划许可证"], "中华人民共和国建筑法"),
        ("01", "商品房预售许可", ["卖期房", "预售证"], ["商品房预售方案", "国有土地使用证"], "城市商品房预售管理办法"),
        ("01", "城市建筑垃圾处置核准", ["倒渣土"], ["建筑垃圾处置核准申请表", "运输车辆行驶证"], "城市建筑垃圾管理规定"),
        ("01", "燃气经营许可", ["卖煤气", "液化气站"], ["燃气经营许可申请表", "安全评价报告"], "城镇燃气管理条例"),
    ],
    "自然资源局": [
        ("01", "乡村建设规划许可", ["农村建房", "盖新房", "宅基地建房"], ["乡村建设规划许可申请表", "宅基地批准文件"], "中华人民共和国城乡规划法"),
        ("07", "不动产登记", ["办房产证", "房本", "过户"], ["不动产登记申请书", "不动产权属来源证明"], "不动产登记暂行条例"),
        ("01", "建设用地规划许可", ["用地许可"], ["建设用地规划许可申请表", "土地出让合同"], "中华人民共和国城乡规划法"),
        ("01", "采矿权登记", ["开矿"], ["采矿权申请登记书", "矿产资源开发利用方案"], "中华人民共和国矿产资源法"),
    ],
    "交通运输局": [
        ("01", "道路货物运输经营许可", ["跑运输", "货运资质"], ["道路货物运输经营申请表", "车辆行驶证"], "中华人民共和国道路运输条例"),
        ("01", "出租汽车经营许可", ["开出租", "跑出租"], ["出租汽车经营申请表", "驾驶员从业资格证"], "巡游出租汽车经营服务管理规定"),
        ("01", "超限运输车辆行驶公路许可", ["大件运输"], ["超限运输申请表", "车辆行驶证"], "公路安全保护条例"),
    ],
    "生态环境局": [
        ("01", "排污许可", ["排污证"], ["排污许可证申请表", "污染物排放监测报告"], "排污许可管理条例"),
        ("01", "建设项目环境影响评价文件审批", ["环评", "环评审批"], ["环境影响报告书", "建设项目审批申请"], "中华人民共和国环境影响评价法"),
    ],
    "农业农村局": [
        ("01", "农药经营许可", ["卖农药"], ["农药经营许可申请表", "经营场所证明"], "农药管理条例"),
        ("01", "兽药经营许可", ["卖兽药"], ["兽药经营许可证申请表", "质量管理制度"], "兽药管理条例"),
        ("01", "动物防疫条件合格证核发", ["养猪场", "办养殖场"], ["动物防疫条件审查申请表", "场所平面图"], "中华人民共和国动物防疫法"),
    ],
    "水务局": [
        ("01", "取水许可", ["打井", "取水证"], ["取水许可申请书", "水资源论证报告"], "取水许可和水资源费征收管理条例"),
        ("01", "河道管理范围内建设项目工程建设方案审批", ["河道施工"], ["工程建设方案", "防洪评价报告"], "中华人民共和国防洪法"),
    ],
    "教育体育局": [
        ("01", "民办学校设立审批", ["办学校", "办培训班"], ["民办学校设立申请书", "举办者资格证明"], "中华人民共和国民办教育促进法"),
        ("07", "教师资格认定", ["教师证", "考教资"], ["教师资格认定申请表", "体检合格证明"], "教师资格条例"),
    ],
    "民政局": [
        ("07", "内地居民婚姻登记", ["结婚登记", "领结婚证", "离婚登记"], ["居民身份证", "户口簿", "合影照片"], "婚姻登记条例"),
        ("07", "社会团体成立登记", ["成立协会", "办商会"], ["社会团体成立登记申请书", "章程草案"], "社会团体登记管理条例"),
    ],
    "人力资源和社会保障局": [
        ("05", "失业保险金申领", ["领失业金", "失业补助"], ["居民身份证", "解除劳动合同证明"], "失业保险条例"),
        ("07", "职业技能等级认定", ["考技能证", "技能鉴定"], ["职业技能等级认定申请表", "学历证明"], "中华人民共和国劳动法"),
        ("01", "劳务派遣经营许可", ["劳务派遣"], ["劳务派遣经营许可申请书", "验资报告"], "中华人民共和国劳动合同法"),
    ],
    "应急管理局": [
        ("01", "烟花爆竹经营（零售）许可", ["卖鞭炮", "卖烟花"], ["烟花爆竹经营许可申请书", "安全管理制度"], "烟花爆竹安全管理条例"),
        ("01", "危险化学品经营许可", ["危化品经营"], ["危险化学品经营许可证申请表", "安全评价报告"], "危险化学品安全管理条例"),
    ],
    "文化和旅游局": [
        ("01", "娱乐场所经营许可", ["开KTV", "开歌厅"], ["娱乐场所经营许可申请表", "消防验收证明"], "娱乐场所管理条例"),
        ("01", "互联网上网服务营业场所经营许可", ["开网吧"], ["网吧经营申请表", "信息安全管理制度"], "互联网上网服务营业场所管理条例"),
        ("01", "旅行社设立许可", ["开旅行社"], ["旅行社设立申请书", "质量保证金存缴证明"], "旅行社条例"),
    ],
    "林业和草原局": [
        ("01", "林木采伐许可证核发", ["砍树", "伐木证"], ["林木采伐申请书", "林权证明"], "中华人民共和国森林法"),
        ("01", "使用林地审核", ["占用林地"], ["使用林地申请表", "使用林地可行性报告"], "中华人民共和国森林法实施条例"),
    ],
    "公安局": [
        ("20", "居民身份证申领", ["办身份证", "补办身份证"], ["居民户口簿", "近期免冠照片"], "中华人民共和国居民身份证法"),
        ("07", "户口迁移", ["迁户口", "落户"], ["居民户口簿", "迁入地证明"], "中华人民共和国户口登记条例"),
        ("07", "机动车注册登记", ["上牌", "新车上牌"], ["机动车登记申请表", "购车发票"], "中华人民共和国道路交通安全法"),
    ],
}
VARIANTS = ["", "（新办）", "（变更）", "（延续）", "（注销）", "（补证）", "（告知承诺）"]
CONDITIONS = [
    "申请人具有完全民事行为能力，有固定的经营场所，场所面积与经营规模相适应",
    "具有与申请事项相适应的专业技术人员、设施设备和管理制度",
    "申请材料齐全、符合法定形式，依法应当现场核查的经现场核查符合条件",
    "已取得营业执照或者其他主体资格证明文件，法定代表人无不良信用记录",
    "选址符合国土空间规划，不占用基本农田，周边无重大安全隐患",
    "建立健全安全生产责任制度，主要负责人和安全管理人员经考核合格",
]
FAQ = [
    ("办理{0}需要多长时间？", "承诺时限为{1}个工作日，材料齐全当场受理。"),
    ("{0}可以网上办理吗？", "可以，登录政务服务网上传申请材料，也可以到政务服务中心窗口办理。"),
    ("{0}收费吗？", "不收费。"),
    ("{0}证件遗失了怎么办？", "可以申请补办，携带身份证明到窗口办理。"),
]
COUNTY_CHARS = "青石江河山平安宁和永兴昌隆丰泰华阳东西南北新长云龙凤武文德康盛庆元"


def counties(rng: random.Random, n: int) -> list[str]:
    names = sorted({a + b for a in COUNTY_CHARS for b in COUNTY_CHARS if a != b})
    return [f"{name}县" for name in rng.sample(names, n)]


def synthetic(rng: random.Random, total: int):
    """Item guides county by county, and for one item in five its FAQ entries, up to ``total``."""
    items = [(dept, cat, f"{subject}{variant}", [] if variant else aliases, materials, law)
             for dept, subjects in SUBJECTS.items() for cat, subject, aliases, materials, law in subjects
             for variant in VARIANTS]
    made = 0
    for c, county in enumerate(counties(rng, total // len(items) + 1)):
        for i, (dept, cat, title, aliases, materials, law) in enumerate(items):
            code = f"{cat}{530000 + c:06d}{i:04d}"
            department = f"{county}{dept}"
            dept_id = 100_000 + c * 100 + list(SUBJECTS).index(dept)
            body = (f"实施主体：{department}。受理条件：{rng.choice(CONDITIONS)}。设定依据：{law} 第{rng.randint(2, 80)}条。"
                    f"申请材料：{'、'.join(materials)}、申请人身份证明。收费标准：不收费。"
                    f"办理地点：{county}政务服务中心{rng.randint(1, 3)}楼{rng.randint(1, 40)}号窗口。")
            yield dict(source="item", ref=code, title=title, body=body, url=f"/items/{code}", keywords=[*aliases, code],
                       department_id=dept_id, department=department, category=cat)
            made += 1
            if made >= total:
                return
            if i % 5 == 0:
                for n, (q, a) in enumerate(FAQ, start=1):
                    yield dict(source="faq", ref=f"{code}/{n}", title=q.format(title), body=a.format(title, rng.randint(1, 20)),
                               url=f"/items/{code}/faq#faq-{n}", department_id=dept_id, department=department, category=cat)
                    made += 1
                    if made >= total:
                        return


QUERIES = [
    "开饭店", "营业执照", "建房", "食品经营许可", "食品经营许可证", "开诊所", "农村建房", "不动产登记", "办房产证",
    "办理营业执照需要什么材料", "我想开饭店", "怎么开饭店", "领结婚证", "结婚登记需要带什么", "排污许可证", "卖鞭炮",
    "领失业金", "办身份证", "迁户口", "林木采伐许可证核发", "许可", "登记", "食品经营许科", "营业只照", "量子纠缠",
    "015309300002", "开网吧", "健康证", "办培训班", "教师资格认定", "超限运输", "道路货物运输经营许可证", "开出租", "打井",
    "环评", "公共场所卫生许可", "开理发店", "药店", "开药店要什么条件", "公司注册", "开公司", "上牌", "商品房预售",
    "燃气经营许可", "养猪场", "卖农药", "旅行社", "开KTV", "砍树", "补办身份证", "社会团体成立登记", "特种设备",
    "电梯登记", "施工许可证", "取水许可", "危险化学品经营许可", "民办学校", "技能鉴定", "劳务派遣", "放射诊疗",
    "网上办理", "多长时间", "证件遗失了怎么办", "收费吗", "食品经营许可（变更）", "个体工商户注销",
]


def queries(rng: random.Random, n: int, dept_ids: list[int]) -> list[tuple[str, dict]]:
    """Each query plain, then with a department, a category or a second page, in a shuffled order."""
    variants = [{}, {"department_id": None}, {"category": "01"}, {"page": 2}]
    out = []
    while len(out) < n:
        for q in QUERIES:
            kwargs = dict(variants[len(out) % len(variants)])
            if "department_id" in kwargs:
                kwargs["department_id"] = rng.choice(dept_ids)
            out.append((q, kwargs))
    rng.shuffle(out)
    return out[:n]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def fresh_url(backend: str, pg_url: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'search.sqlite'}"
    url = make_url(pg_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    return url.set(database=DB_NAME).render_as_string(hide_password=False)


def floor_sql(postgres: bool, ranked: bool) -> str:
    """One pre-tokenised term, bare: no segmentation, no join, no count, no snippet."""
    if postgres:
        order = "ORDER BY ts_rank_cd(tsv, q) DESC " if ranked else ""
        return f"SELECT id FROM search_document, to_tsquery('simple', %s) q WHERE tsv @@ q {order}LIMIT 10"
    order = "ORDER BY bm25(search_fts) " if ranked else ""
    return f"SELECT rowid FROM search_fts WHERE search_fts MATCH ? {order}LIMIT 10"


def bench(backend: str, url: str, docs: int, n_queries: int, seed: int) -> dict:
    rng = random.Random(seed)
    migrate.upgrade(url)
    db = Database(settings=Settings(database_url=url, instance_dir=Path(tempfile.gettempdir())))
    postgres = not db.is_sqlite
    try:
        with db.transaction() as s:
            load_demo(s)  # the demo county's items, with their aliases, through publish_item
            demo = s.scalar(select(search.documents.c.id).where(search.documents.c.ref == "015309300002").limit(1))
            assert demo is not None, "the demo's items are indexed when published"
        t0 = time.perf_counter()
        added = 0
        generator = synthetic(rng, docs)
        while True:
            with db.transaction() as s:
                n = search.add_many(s, (d for _, d in zip(range(10_000), generator)))
            added += n
            if n < 10_000:
                break
        build_s = time.perf_counter() - t0
        if postgres:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE search_document"))
        with db.transaction(write=False) as s:
            total_docs = s.scalar(select(func.count()).select_from(search.documents))
            dept_ids = sorted(set(s.scalars(select(search.documents.c.department_id).distinct().limit(500))) - {None})
        # one publish (an upsert) at this size
        samples = []
        with db.transaction() as s:
            for i in range(100):
                t = time.perf_counter()
                search.publish(s, "item", f"bench{i}", title="食品经营许可（新办）", body="实施主体：某县市场监督管理局。",
                               url=f"/items/bench{i}", keywords=["开饭店"], department_id=1, department="某县", category="01")
                samples.append(time.perf_counter() - t)
            for i in range(100):
                search.withdraw(s, "item", f"bench{i}")
        publish_ms = pct(samples, 0.5)

        t = time.perf_counter()
        with db.transaction(write=False) as s:
            search.query(s, "开饭店")  # the first query reads the names and aliases for the segmenter and suggestions
        cold_ms = round((time.perf_counter() - t) * 1000, 1)
        with db.transaction(write=False) as s:
            top = search.query(s, "开饭店")
            assert top.hits[0].title == "食品经营许可", top.hits[0]

        plan = queries(rng, n_queries, dept_ids)
        lat, by_query = [], {}
        for q, kwargs in plan:
            t = time.perf_counter()
            with db.transaction(write=False) as s:
                found = search.query(s, q, **kwargs)
            elapsed = time.perf_counter() - t
            lat.append(elapsed)
            by_query.setdefault(q, []).append((elapsed, found.total))
        floors = {}
        for ranked in (False, True):
            sql, times = floor_sql(postgres, ranked), []
            raw = db.engine.raw_connection()
            try:
                cur = raw.cursor()
                for q, _ in plan:
                    term = search.tokens(q).split()[-1] if search.tokens(q) else "许可"
                    term = f"'{term}'" if postgres else f'"{term}"'
                    t = time.perf_counter()
                    cur.execute(sql, (term,))
                    cur.fetchall()
                    times.append(time.perf_counter() - t)
                cur.close()
                raw.rollback()
            finally:
                raw.close()
            floors["ranked" if ranked else "bare"] = times
        slowest = sorted(((max(e for e, _ in v), q, v[0][1]) for q, v in by_query.items()), reverse=True)[:5]
        return {
            "backend": backend, "documents": total_docs, "build_s": round(build_s, 1),
            "build_docs_per_s": round(added / build_s), "publish_one_ms": publish_ms, "first_query_ms": cold_ms,
            "queries": len(lat), "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95), "p99_ms": pct(lat, 0.99),
            "mean_ms": round(statistics.mean(lat) * 1000, 2),
            "floor_p50_ms": pct(floors["bare"], 0.5), "floor_p99_ms": pct(floors["bare"], 0.99),
            "ranked_floor_p50_ms": pct(floors["ranked"], 0.5), "ranked_floor_p99_ms": pct(floors["ranked"], 0.99),
            "ratio_p50_to_floor": round(pct(lat, 0.5) / max(pct(floors["bare"], 0.5), 0.001), 1),
            "ratio_p50_to_ranked_floor": round(pct(lat, 0.5) / max(pct(floors["ranked"], 0.5), 0.001), 1),
            "target_100ms_p99_met": pct(lat, 0.99) < 100,
            "slowest": [{"query": q, "ms": round(e * 1000, 1), "total": n} for e, q, n in slowest],
        }
    finally:
        db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=str(HERE / "results" / "search.json"))
    args = ap.parse_args()
    plugins.install()
    results = []
    with tempfile.TemporaryDirectory(prefix="sunhall-bench-search-") as workdir:
        for backend in args.backends.split(","):
            try:
                url = fresh_url(backend, args.postgres, Path(workdir))
            except Exception as exc:  # PostgreSQL is optional: say so and go on
                print(f"{backend}: skipped ({exc.__class__.__name__}: {exc})")
                continue
            row = bench(backend, url, args.docs, args.queries, args.seed)
            print(json.dumps(row, ensure_ascii=False))
            results.append(row)
    Path(args.out).write_text(json.dumps({
        "platform": f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "results": results},
        ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
